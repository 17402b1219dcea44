#include <adaptrec/losses/kl_distillation.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>
#include <support/reference_softmax.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::compare;
using adaptrec_test::numeric_gradient;
using adaptrec_test::reference_softmax_row;
using adaptrec_test::require_throw_naming;

namespace {

// tau^2 * mean_rows sum_c p_c log(p_c / q_c), p = softmax(t / tau), q = softmax(s / tau).
double reference_distillation(const Tensor<double>& student, const Tensor<double>& teacher,
                              double tau) {
  const index_t rows = student.dim(0), classes = student.dim(1);
  double total = 0;
  for (index_t i = 0; i < rows; ++i) {
    const std::vector<double> p = reference_softmax_row(teacher, i, tau);
    const std::vector<double> q = reference_softmax_row(student, i, tau);
    for (std::size_t c = 0; c < static_cast<std::size_t>(classes); ++c)
      total += p[c] * std::log(p[c] / q[c]);
  }
  return tau * tau * total / rows;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(losses_kl_distillation)

BOOST_AUTO_TEST_CASE(matching_logits_cost_nothing) {
  losses::KlDistillation<double> kd(3.0);
  Tensor<double> logits(Shape{2, 3}, {0.5, -1.0, 2.0, 0.0, 0.0, 4.0});
  BOOST_TEST(kd.forward(logits, logits) == 0.0, boost::test_tools::tolerance(1e-15));
  for (double g : kd.backward()) BOOST_TEST(g == 0.0, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(hand_computed_two_class_value) {
  // Teacher (1/2, 1/2), student softmax(0, log 3) = (1/4, 3/4):
  // KL = 1/2 log 2 + 1/2 log(2/3) = 1/2 log(4/3).
  losses::KlDistillation<double> kd;
  Tensor<double> student(Shape{1, 2}, {0.0, std::log(3.0)});
  Tensor<double> teacher(Shape{1, 2}, {1.0, 1.0});
  BOOST_TEST(kd.forward(student, teacher) == 0.5 * std::log(4.0 / 3.0),
             boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(forward_matches_reference) {
  Rng rng(81);
  Tensor<double> student(Shape{3, 5});
  Tensor<double> teacher(Shape{3, 5});
  fill_uniform(student, -3.0, 3.0, rng);
  fill_uniform(teacher, -3.0, 3.0, rng);
  for (double tau : {0.5, 1.0, 4.0}) {
    losses::KlDistillation<double> kd(tau);
    BOOST_TEST(kd.forward(student, teacher) == reference_distillation(student, teacher, tau),
               boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(82);
  Tensor<double> student(Shape{4, 3});
  Tensor<double> teacher(Shape{4, 3});
  fill_uniform(student, -2.0, 2.0, rng);
  fill_uniform(teacher, -2.0, 2.0, rng);
  for (double tau : {1.0, 2.5}) {
    losses::KlDistillation<double> kd(tau);
    kd.forward(student, teacher);
    compare(kd.backward(),
            numeric_gradient(student, [&] { return kd.forward(student, teacher); }),
            "d student, tau " + std::to_string(tau));
  }
}

BOOST_AUTO_TEST_CASE(extreme_and_masked_teacher_logits_stay_finite) {
  losses::KlDistillation<float> kd(2.0f);
  Tensor<float> student(Shape{2, 3}, {1e4f, -1e4f, 0.0f, -1e4f, 0.0f, 1e4f});
  Tensor<float> teacher(Shape{2, 3}, {-1e4f, 1e4f, 0.0f, 0.0f, 0.0f,
                                      -std::numeric_limits<float>::infinity()});
  const float value = kd.forward(student, teacher);
  BOOST_TEST(std::isfinite(value));
  for (float g : kd.backward()) BOOST_TEST(std::isfinite(g));

  // A class the teacher rules out (-inf) contributes 0 log 0 = 0.
  losses::KlDistillation<double> exact;
  Tensor<double> s(Shape{1, 3}, {0.3, -0.2, 5.0});
  Tensor<double> t(Shape{1, 3}, {1.0, 0.0, -std::numeric_limits<double>::infinity()});
  Tensor<double> s2(Shape{1, 2}, {0.3, -0.2});
  Tensor<double> t2(Shape{1, 2}, {1.0, 0.0});
  const double zs = std::exp(0.3) + std::exp(-0.2) + std::exp(5.0);
  const double zs2 = std::exp(0.3) + std::exp(-0.2);
  // Same teacher mass, student normalised over one more class: KL grows by log(zs / zs2).
  BOOST_TEST(exact.forward(s, t) == reference_distillation(s2, t2, 1.0) + std::log(zs / zs2),
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(bad_inputs_throw_naming_what_is_wrong) {
  losses::KlDistillation<double> kd;
  require_throw_naming<shape_error>(
      [&] { kd.forward(Tensor<double>(Shape{2, 3}), Tensor<double>(Shape{2, 4})); },
      {"[2, 3]", "[2, 4]"});
  Tensor<double> nan_teacher(Shape{1, 2}, {std::numeric_limits<double>::quiet_NaN(), 0.0});
  require_throw_naming<invalid_argument>(
      [&] { kd.forward(Tensor<double>(Shape{1, 2}), nan_teacher); }, {"teacher", "position 0"});
  require_throw_naming<invalid_argument>([] { losses::KlDistillation<double> bad(-1.0); },
                                         {"temperature"});
}

BOOST_AUTO_TEST_SUITE_END()
