#include <adaptrec/peft/adalora_allocator.hpp>

#include <support/expect_throw.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <numeric>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using peft::AdaLoraLinear;
using peft::AdaLoraRankAllocator;
using peft::AdaLoraSchedule;

namespace {

// b(t) = b_T + (b_0 - b_T) (1 - (t - t_i) / (T - t_f - t_i))^3, truncated.
index_t cubic_budget(double b0, double bt, double t, double ti, double tf, double total) {
  const double remaining = 1 - (t - ti) / (total - tf - ti);
  return static_cast<index_t>(std::floor(bt + (b0 - bt) * std::pow(remaining, 3)));
}

void fill_values_and_gradients(AdaLoraLinear<double>& hook, Rng& rng) {
  for (Parameter<double>* p : {&hook.lora_a(), &hook.lora_e(), &hook.lora_b()}) {
    fill_uniform(p->value, -1.0, 1.0, rng);
    fill_uniform(p->grad, -1.0, 1.0, rng);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peft_adalora_allocator)

BOOST_AUTO_TEST_CASE(budget_schedule_follows_the_cubic_formula) {
  // 4 sites from rank 12 to rank 8; warm-up 10 steps, final phase 10 of 50.
  const AdaLoraSchedule schedule(48, 32, 10, 10, 50, 5);
  BOOST_TEST(schedule.final_step() == 40);
  for (index_t step = 0; step <= 10; ++step) {
    BOOST_TEST(schedule.at(step).budget == 48);
    BOOST_TEST(!schedule.at(step).mask);
  }
  // Midpoint of [tinit, total - tfinal]: 32 + 16 / 8.
  BOOST_TEST(schedule.at(25).budget == 34);
  BOOST_TEST(schedule.at(25).mask);
  BOOST_TEST(schedule.at(11).budget == 46);  // 32 + 16 (29/30)^3 = 46.45
  BOOST_TEST(!schedule.at(11).mask);
  BOOST_TEST(schedule.at(40).budget == 32);
  BOOST_TEST(schedule.at(40).mask);
  for (index_t step : {41, 49, 50, 75}) {
    BOOST_TEST(schedule.at(step).budget == 32);
    BOOST_TEST(schedule.at(step).mask);
  }
  index_t previous = 48;
  for (index_t step = 11; step < 40; ++step) {
    const auto b = schedule.at(step);
    BOOST_TEST(b.budget == cubic_budget(48, 32, double(step), 10, 10, 50), "step " << step);
    BOOST_TEST(b.mask == (step % 5 == 0), "step " << step);
    BOOST_TEST(b.budget <= previous);
    previous = b.budget;
  }
}

BOOST_AUTO_TEST_CASE(schedule_rejects_settings_it_cannot_follow) {
  require_throw_naming<invalid_argument>([] { AdaLoraSchedule(8, 4, 0, 0, 0, 1); },
                                         {"total_step=0"});
  require_throw_naming<invalid_argument>([] { AdaLoraSchedule(8, 4, 6, 4, 10, 1); },
                                         {"tinit=6", "tfinal=4", "total_step=10"});
  require_throw_naming<invalid_argument>([] { AdaLoraSchedule(8, 4, 0, 0, 10, 0); }, {"delta_t=0"});
  require_throw_naming<invalid_argument>([] { AdaLoraSchedule(8, 9, 0, 0, 10, 1); },
                                         {"target budget 9", "initial budget 8"});
}

BOOST_AUTO_TEST_CASE(triplet_scores_follow_the_smoothed_sensitivity_and_uncertainty) {
  Rng rng(1);
  AdaLoraLinear<double> hook(3, 4, 2, 1.0, 0.0, rng);
  const double beta1 = 0.85, beta2 = 0.7;
  peft::TripletImportance<double> importance(hook);
  // Plain reference: per-entry moving averages, then S_i.
  std::vector<double> ibar_a(6), ubar_a(6), ibar_e(2), ubar_e(2), ibar_b(8), ubar_b(8);
  const auto smooth = [&](const Parameter<double>& p, std::vector<double>& ibar,
                          std::vector<double>& ubar) {
    for (std::size_t k = 0; k < ibar.size(); ++k) {
      const double sens = std::abs(p.value[index_t(k)] * p.grad[index_t(k)]);
      ibar[k] = beta1 * ibar[k] + (1 - beta1) * sens;
      ubar[k] = beta2 * ubar[k] + (1 - beta2) * std::abs(sens - ibar[k]);
    }
  };
  for (int update = 0; update < 3; ++update) {
    fill_values_and_gradients(hook, rng);
    importance.update(hook, beta1, beta2);
    smooth(hook.lora_a(), ibar_a, ubar_a);
    smooth(hook.lora_e(), ibar_e, ubar_e);
    smooth(hook.lora_b(), ibar_b, ubar_b);
  }
  const std::vector<double> scores = importance.scores();
  BOOST_REQUIRE_EQUAL(scores.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    double right = 0, left = 0;
    for (std::size_t j = 0; j < 3; ++j) right += ibar_a[i * 3 + j] * ubar_a[i * 3 + j];
    for (std::size_t o = 0; o < 4; ++o) left += ibar_b[o * 2 + i] * ubar_b[o * 2 + i];
    const double expected = ibar_e[i] * ubar_e[i] + right / 3 + left / 4;
    BOOST_TEST(scores[i] == expected, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(scores[i] > 0.0);
  }
}

BOOST_AUTO_TEST_CASE(allocation_keeps_exactly_the_budget_of_highest_scores) {
  const std::vector<std::string> names{"first", "second"};
  using Keep = std::vector<std::vector<bool>>;
  BOOST_TEST((peft::keep_most_important({{0.5, 0.1, 0.9}, {0.3, 0.7}}, 3, names) ==
              Keep{{true, false, true}, {false, true}}));
  // Ties (every lambda zero at the start) still keep exactly the budget.
  BOOST_TEST((peft::keep_most_important({{0, 0, 0}, {0, 0}}, 2, names) ==
              Keep{{true, true, false}, {false, false}}));
  BOOST_TEST((peft::keep_most_important({{1, 2, 3}, {4, 5}}, 9, names) ==
              Keep{{true, true, true}, {true, true}}));
  BOOST_TEST((peft::keep_most_important({{1, 2, 3}, {4, 5}}, 0, names) ==
              Keep{{false, false, false}, {false, false}}));
  require_throw_naming<error>(
      [&] {
        peft::keep_most_important({{1, 2}, {std::numeric_limits<double>::quiet_NaN()}}, 1, names);
      },
      {"triplet 0 of second", "not finite"});
  require_throw_naming<invalid_argument>(
      [&] {
        peft::keep_most_important({{1}, {2}}, -1, names);
      },
      {"budget -1"});
}

BOOST_AUTO_TEST_CASE(masking_reaches_the_budget_and_the_final_pattern_stays_fixed) {
  Rng rng(2);
  AdaLoraLinear<double> query(6, 6, 4, 4.0, 0.0, rng), value(6, 5, 4, 4.0, 0.0, rng);
  const AdaLoraSchedule schedule(8, 4, 2, 3, 12, 2);
  AdaLoraRankAllocator<double> allocator({{"layer.query", &query}, {"layer.value", &value}},
                                         schedule, 0.85, 0.85);
  const auto total_rank = [&] { return query.kept_rank() + value.kept_rank(); };
  const auto pruned_are_zero = [](AdaLoraLinear<double>& h) {
    for (std::size_t i = 0; i < h.kept_triplets().size(); ++i)
      if (!h.kept_triplets()[i] && h.lora_e().value[index_t(i)] != 0.0) return false;
    return true;
  };
  for (index_t step = 0; step < schedule.final_step(); ++step) {
    fill_values_and_gradients(query, rng);
    fill_values_and_gradients(value, rng);
    const index_t budget = allocator.update_and_allocate(step);
    BOOST_TEST(budget == schedule.at(step).budget);
    if (schedule.at(step).mask) {
      BOOST_TEST(total_rank() == budget, "step " << step);
      BOOST_TEST(pruned_are_zero(query));
      BOOST_TEST(pruned_are_zero(value));
    }
  }
  BOOST_TEST(allocator.has_masked());
  BOOST_TEST(!allocator.pattern_fixed());
  fill_values_and_gradients(query, rng);
  fill_values_and_gradients(value, rng);
  BOOST_TEST(allocator.update_and_allocate(schedule.final_step()) == 4);
  BOOST_TEST(allocator.pattern_fixed());
  BOOST_TEST(total_rank() == 4);
  const std::vector<bool> fixed_query = query.kept_triplets(), fixed_value = value.kept_triplets();
  // Later steps re-apply the pattern to lambda that an optimizer moved.
  for (index_t step = schedule.final_step() + 1; step < 16; ++step) {
    fill_values_and_gradients(query, rng);
    fill_values_and_gradients(value, rng);
    BOOST_TEST(allocator.update_and_allocate(step) == 4);
    BOOST_TEST(query.kept_triplets() == fixed_query);
    BOOST_TEST(value.kept_triplets() == fixed_value);
    BOOST_TEST(pruned_are_zero(query));
    BOOST_TEST(pruned_are_zero(value));
  }
  const std::vector<index_t> ranks = allocator.rank_pattern();
  BOOST_TEST(std::accumulate(ranks.begin(), ranks.end(), index_t(0)) == 4);
  require_throw_naming<invalid_argument>([&] { allocator.update_and_allocate(-1); }, {"step -1"});
}

BOOST_AUTO_TEST_CASE(allocator_rejects_a_mismatched_schedule_and_bad_betas) {
  Rng rng(3);
  AdaLoraLinear<double> hook(4, 4, 3, 1.0, 0.0, rng);
  require_throw_naming<invalid_argument>(
      [&] {
        AdaLoraRankAllocator<double>({{"q", &hook}}, AdaLoraSchedule(6, 2, 0, 0, 10, 1), 0.85,
                                     0.85);
      },
      {"3 triplets", "starts from 6"});
  require_throw_naming<invalid_argument>(
      [&] {
        AdaLoraRankAllocator<double>({{"q", &hook}}, AdaLoraSchedule(3, 2, 0, 0, 10, 1), 1.0, 0.85);
      },
      {"beta1=1"});
  AdaLoraRankAllocator<double> allocator({{"q", &hook}}, AdaLoraSchedule(3, 2, 0, 0, 10, 1), 0.5,
                                         0.5);
  fill_values_and_gradients(hook, rng);
  hook.lora_a().grad[0] = std::numeric_limits<double>::infinity();
  require_throw_naming<error>([&] { allocator.update_and_allocate(1); }, {"of q", "not finite"});
}

BOOST_AUTO_TEST_SUITE_END()
