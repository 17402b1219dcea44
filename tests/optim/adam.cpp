#include <adaptrec/optim/adam.hpp>
#include <adaptrec/optim/schedule.hpp>

#include <support/expect_throw.hpp>
#include <support/parameters.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace adaptrec;
using optim::Adam;
using optim::AdamOptions;
using adaptrec_test::make_parameter;
using adaptrec_test::require_throw_naming;
using adaptrec_test::set_grad;

namespace {

// Kingma & Ba (2015), Algorithm 1, in the textbook form with m_hat and v_hat,
// on one element; `g` already includes any L2 term.
struct AdamReference {
  double beta1, beta2, epsilon, m = 0, v = 0;
  int t = 0;
  double update(double x, double g, double lr) {
    ++t;
    m = beta1 * m + (1 - beta1) * g;
    v = beta2 * v + (1 - beta2) * g * g;
    const double m_hat = m / (1 - std::pow(beta1, t));
    const double v_hat = v / (1 - std::pow(beta2, t));
    return x - lr * m_hat / (std::sqrt(v_hat) + epsilon);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(optim_adam)

BOOST_AUTO_TEST_CASE(three_steps_match_algorithm_1_with_l2) {
  const std::vector<std::vector<double>> grads = {{0.1, -0.4, 2.0}, {0.3, 0.2, -1.0},
                                                  {-0.2, 0.0, 0.5}};
  const AdamOptions<double> options{.learning_rate = 0.01, .beta1 = 0.8, .beta2 = 0.95,
                                    .epsilon = 1e-6, .weight_decay = 0.1};
  Parameter<double> p = make_parameter(Shape{3}, {0.5, -1.5, 1.0});
  Adam<double> adam({{"w", &p}}, options);
  std::vector<double> x = p.value.to_vector();
  std::vector<AdamReference> reference(3, {options.beta1, options.beta2, options.epsilon});
  for (const std::vector<double>& g : grads) {
    set_grad(p, g);
    adam.step();
    for (std::size_t i = 0; i < 3; ++i) {
      x[i] = reference[i].update(x[i], g[i] + options.weight_decay * x[i], options.learning_rate);
      BOOST_TEST(p.value[static_cast<index_t>(i)] == x[i], boost::test_tools::tolerance(1e-12));
    }
  }
  BOOST_TEST(adam.step_count(0) == 3);
}

// Bias correction makes the first update lr * g / (|g| + epsilon): a step of
// almost exactly lr whatever the gradient's scale.
BOOST_AUTO_TEST_CASE(first_step_has_size_learning_rate) {
  Parameter<double> p = make_parameter(Shape{2}, {0, 0});
  set_grad(p, {1e-3, -50.0});
  Adam<double> adam({{"w", &p}}, {.learning_rate = 0.1});
  adam.step();
  BOOST_TEST(p.value[0] == -0.1 * 1e-3 / (1e-3 + 1e-8), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p.value[1] == 0.1 * 50.0 / (50.0 + 1e-8), boost::test_tools::tolerance(1e-12));
}

// Step counts are per parameter: one frozen for the first step starts its bias
// correction at t = 1 when unfrozen.
BOOST_AUTO_TEST_CASE(frozen_parameter_keeps_value_and_step_count) {
  Parameter<double> a = make_parameter(Shape{1}, {1.0});
  Parameter<double> b = make_parameter(Shape{1}, {1.0});
  b.trainable = false;
  Adam<double> adam({{"a", &a}, {"b", &b}}, {.learning_rate = 0.1});
  set_grad(a, {0.5});
  set_grad(b, {0.5});
  adam.step();
  BOOST_TEST(b.value[0] == 1.0);
  BOOST_TEST(adam.step_count(1) == 0);
  b.trainable = true;
  adam.step();
  BOOST_TEST(adam.step_count(0) == 2);
  BOOST_TEST(adam.step_count(1) == 1);
  BOOST_TEST(b.value[0] == 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), boost::test_tools::tolerance(1e-12));
}

// Step 1 touches row 0, step 2 touches row 1.
BOOST_AUTO_TEST_CASE(lazy_sparse_updates_touched_rows_and_their_moments_only) {
  const double lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  Parameter<double> table = make_parameter(Shape{3, 2}, {1, 2, 3, 4, 5, 6});
  table.sparse = true;
  Adam<double> adam({{"item_embedding.weight", &table}},
                    {.learning_rate = lr, .lazy_sparse = true});

  set_grad(table, {0.5, -0.25, 0, 0, 7, 7});  // row 2 is not listed: its gradient is never read
  table.touched_rows = {0};
  adam.step();
  const double row0_col0 = 1 - lr * 0.5 / (0.5 + eps), row0_col1 = 2 + lr * 0.25 / (0.25 + eps);
  BOOST_TEST(table.value(0, 0) == row0_col0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(table.value(0, 1) == row0_col1, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(table.value(2, 0) == 5.0);

  adam.zero_grad();
  set_grad(table, {0, 0, 2.0, -1.0, 0, 0});
  table.touched_rows = {1};
  adam.step();
  BOOST_TEST(adam.step_count(0) == 2);
  // Row 0 had zero gradient and is not listed: lazily it stays put.
  BOOST_TEST(table.value(0, 0) == row0_col0);
  BOOST_TEST(table.value(0, 1) == row0_col1);
  // Row 1's moments start from zero but the bias correction uses t = 2.
  for (index_t c = 0; c < 2; ++c) {
    const double g = c == 0 ? 2.0 : -1.0;
    const double m_hat = (1 - b1) * g / (1 - b1 * b1);
    const double v_hat = (1 - b2) * g * g / (1 - b2 * b2);
    BOOST_TEST(table.value(1, c) == (c == 0 ? 3.0 : 4.0) - lr * m_hat / (std::sqrt(v_hat) + eps),
               boost::test_tools::tolerance(1e-12));
  }
  BOOST_TEST(table.value(2, 1) == 6.0);

  // No touched row: nothing moves and the step count stays.
  adam.zero_grad();
  adam.step();
  BOOST_TEST(adam.step_count(0) == 2);
  BOOST_TEST(table.value(0, 0) == row0_col0);
}

// Without lazy_sparse, a row touched once keeps moving on its momentum.
BOOST_AUTO_TEST_CASE(dense_semantics_for_sparse_parameter_by_default) {
  const double lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  Parameter<double> table = make_parameter(Shape{2, 1}, {0, 0});
  table.sparse = true;
  Adam<double> adam({{"table", &table}}, {.learning_rate = lr});
  set_grad(table, {1.0, 0.0});
  table.touched_rows = {0};
  adam.step();
  adam.zero_grad();
  table.touched_rows = {1};
  adam.step();
  AdamReference row0{b1, b2, eps};
  const double x1 = row0.update(0.0, 1.0, lr);
  BOOST_TEST(table.value(0, 0) == row0.update(x1, 0.0, lr), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(table.value(1, 0) == 0.0);
}

BOOST_AUTO_TEST_CASE(invalid_options_name_the_option) {
  Parameter<double> p(Shape{1});
  auto make = [&](AdamOptions<double> o) { return [&p, o] { Adam<double>({{"p", &p}}, o); }; };
  require_throw_naming<invalid_argument>(make({.learning_rate = -1e-3}), {"learning_rate"});
  require_throw_naming<invalid_argument>(make({.beta1 = 1.0}), {"beta1"});
  require_throw_naming<invalid_argument>(make({.beta1 = -0.1}), {"beta1"});
  require_throw_naming<invalid_argument>(make({.beta2 = 1.5}), {"beta2"});
  require_throw_naming<invalid_argument>(make({.beta2 = std::nan("")}), {"beta2"});
  require_throw_naming<invalid_argument>(make({.epsilon = 0}), {"epsilon"});
  require_throw_naming<invalid_argument>(make({.weight_decay = -1}), {"weight_decay"});
  require_throw_naming<invalid_argument>(make({.beta1 = 1.0}), {"Adam"});
}

BOOST_AUTO_TEST_CASE(non_finite_gradient_names_the_parameter) {
  Parameter<double> p = make_parameter(Shape{2, 2}, {1, 2, 3, 4});
  Adam<double> adam({{"encoder.layer.0.weight", &p}});
  set_grad(p, {0, 0, std::nan(""), 0});
  require_throw_naming<invalid_argument>([&] { adam.step(); }, {"encoder.layer.0.weight"});
  set_grad(p, {0, HUGE_VAL, 0, 0});
  require_throw_naming<invalid_argument>([&] { adam.step(); }, {"encoder.layer.0.weight"});
  BOOST_TEST(p.value.to_vector() == std::vector<double>({1, 2, 3, 4}),
             boost::test_tools::per_element());
  BOOST_TEST(adam.step_count(0) == 0);
}

// f(x) = 1/2 sum_i a_i (x_i - c_i)^2, badly conditioned (a spans 1e-2..1e2);
// Adam's per-coordinate scaling and a cosine-decayed rate reach the minimum.
BOOST_AUTO_TEST_CASE(minimises_a_quadratic) {
  const std::vector<double> a = {1e-2, 1.0, 1e2, 3.0}, c = {2.0, -1.0, 0.5, 4.0};
  Parameter<float> p(Shape{4});
  Adam<float> adam({{"x", &p}}, {.learning_rate = 0.1f});
  const optim::LinearWarmupCosineDecay schedule(100, 3000);
  for (std::int64_t step = 0; step < schedule.total_steps(); ++step) {
    optim::apply_schedule(adam, 0.1f, schedule, step);
    adam.zero_grad();
    for (index_t i = 0; i < 4; ++i)
      p.grad[i] = static_cast<float>(a[static_cast<std::size_t>(i)] *
                                     (p.value[i] - c[static_cast<std::size_t>(i)]));
    adam.step();
  }
  for (index_t i = 0; i < 4; ++i)
    BOOST_TEST(p.value[i] == c[static_cast<std::size_t>(i)], boost::test_tools::tolerance(1e-3));
}

BOOST_AUTO_TEST_SUITE_END()
