#include <adaptrec/optim/schedule.hpp>
#include <adaptrec/optim/sgd.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

using namespace adaptrec;
using optim::ConstantSchedule;
using optim::LinearWarmupCosineDecay;
using optim::LinearWarmupLinearDecay;

namespace {

// Hugging Face transformers' lr_lambda of get_linear_schedule_with_warmup.
double hf_linear(std::int64_t step, std::int64_t warmup, std::int64_t total) {
  if (step < warmup) return double(step) / double(std::max<std::int64_t>(1, warmup));
  return std::max(0.0, double(total - step) / double(std::max<std::int64_t>(1, total - warmup)));
}

// get_cosine_with_min_lr_schedule_with_warmup (num_cycles 0.5); min_rate 0 is
// get_cosine_schedule_with_warmup.
double hf_cosine(std::int64_t step, std::int64_t warmup, std::int64_t total, double min_rate) {
  if (step < warmup) return double(step) / double(std::max<std::int64_t>(1, warmup));
  const double progress = double(step - warmup) / double(std::max<std::int64_t>(1, total - warmup));
  const double factor = 0.5 * (1.0 + std::cos(std::numbers::pi * 0.5 * 2.0 * progress));
  return std::max(0.0, factor * (1 - min_rate) + min_rate);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(optim_schedule)

BOOST_AUTO_TEST_CASE(constant_is_one) {
  const ConstantSchedule schedule;
  BOOST_TEST(schedule.multiplier(0) == 1.0);
  BOOST_TEST(schedule.multiplier(123456) == 1.0);
}

BOOST_AUTO_TEST_CASE(linear_at_key_steps) {
  const LinearWarmupLinearDecay schedule(10, 110);
  BOOST_TEST(schedule.multiplier(0) == 0.0);
  BOOST_TEST(schedule.multiplier(9) == 0.9, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(schedule.multiplier(10) == 1.0);
  BOOST_TEST(schedule.multiplier(60) == 0.5, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(schedule.multiplier(110) == 0.0);
  BOOST_TEST(schedule.multiplier(500) == 0.0);
  for (std::int64_t step = 0; step <= 120; ++step)
    BOOST_TEST(schedule.multiplier(step) == hf_linear(step, 10, 110),
               boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(cosine_at_key_steps) {
  const LinearWarmupCosineDecay schedule(10, 110);
  BOOST_TEST(schedule.multiplier(0) == 0.0);
  BOOST_TEST(schedule.multiplier(9) == 0.9, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(schedule.multiplier(10) == 1.0);
  BOOST_TEST(schedule.multiplier(60) == 0.5, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(std::abs(schedule.multiplier(110)) < 1e-15);
  BOOST_TEST(schedule.multiplier(200) == 0.0);  // Hugging Face's would climb back up here
  for (std::int64_t step = 0; step <= 110; ++step)
    BOOST_TEST(schedule.multiplier(step) == hf_cosine(step, 10, 110, 0.0),
               boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(cosine_with_floor) {
  const LinearWarmupCosineDecay schedule(4, 24, 0.1);
  BOOST_TEST(schedule.multiplier(0) == 0.0);
  BOOST_TEST(schedule.multiplier(3) == 0.75);
  BOOST_TEST(schedule.multiplier(4) == 1.0);
  BOOST_TEST(schedule.multiplier(14) == 0.55, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(schedule.multiplier(24) == 0.1, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(schedule.multiplier(1000) == 0.1, boost::test_tools::tolerance(1e-14));
  for (std::int64_t step = 0; step <= 24; ++step)
    BOOST_TEST(schedule.multiplier(step) == hf_cosine(step, 4, 24, 0.1),
               boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(no_warmup_starts_at_one) {
  BOOST_TEST(LinearWarmupLinearDecay(0, 10).multiplier(0) == 1.0);
  BOOST_TEST(LinearWarmupCosineDecay(0, 10).multiplier(0) == 1.0);
  BOOST_TEST(LinearWarmupLinearDecay(0, 10).multiplier(5) == 0.5);
}

BOOST_AUTO_TEST_CASE(sets_the_optimizer_learning_rate) {
  Parameter<double> p(Shape{1});
  optim::Sgd<double> sgd({{"w", &p}}, {.learning_rate = 0.2});
  const LinearWarmupLinearDecay schedule(4, 8);
  optim::apply_schedule(sgd, 0.2, schedule, 2);
  BOOST_TEST(sgd.learning_rate() == 0.1, boost::test_tools::tolerance(1e-15));

  optim::Sgd<double> other({{"w", &p}}, {.learning_rate = 0.4});
  const optim::ScheduledLearningRate scheduled(other, LinearWarmupCosineDecay(2, 6));
  BOOST_TEST(scheduled.base_learning_rate() == 0.4);
  scheduled.apply(1);
  BOOST_TEST(other.learning_rate() == 0.2, boost::test_tools::tolerance(1e-15));
  scheduled.apply(4);
  BOOST_TEST(other.learning_rate() == 0.2, boost::test_tools::tolerance(1e-15));
  scheduled.apply(6);
  BOOST_TEST(std::abs(other.learning_rate()) < 1e-15);
}

BOOST_AUTO_TEST_CASE(invalid_arguments_are_named) {
  auto message = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const invalid_argument& e) {
      return e.what();
    }
    return "no exception";
  };
  BOOST_TEST(message([] { LinearWarmupLinearDecay(20, 10); }).find("warmup_steps 20") !=
             std::string::npos);
  BOOST_TEST(message([] { LinearWarmupCosineDecay(-1, 10); }).find("warmup_steps -1") !=
             std::string::npos);
  BOOST_TEST(message([] { LinearWarmupLinearDecay(0, 0); }).find("total_steps 0") !=
             std::string::npos);
  BOOST_TEST(message([] { LinearWarmupCosineDecay(1, 10, 1.5); }).find("min_ratio") !=
             std::string::npos);
  BOOST_TEST(message([] { LinearWarmupLinearDecay(1, 10).multiplier(-3); }).find("step -3") !=
             std::string::npos);
  BOOST_TEST(message([] { ConstantSchedule{}.multiplier(-1); }).find("step -1") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
