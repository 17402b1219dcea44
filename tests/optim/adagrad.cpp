#include <adaptrec/optim/adagrad.hpp>

#include <support/expect_throw.hpp>
#include <support/parameters.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace adaptrec;
using optim::Adagrad;
using optim::AdagradOptions;
using adaptrec_test::make_parameter;
using adaptrec_test::require_throw_naming;
using adaptrec_test::set_grad;

BOOST_AUTO_TEST_SUITE(optim_adagrad)

// Duchi et al. (2011) diagonal Adagrad as torch.optim.Adagrad: s += g^2,
// x -= lr g / (sqrt(s) + eps), g including the L2 term.
BOOST_AUTO_TEST_CASE(three_steps_match_accumulator_formula) {
  const std::vector<std::vector<double>> grads = {{0.5, -1.0}, {0.25, 2.0}, {-0.75, 0.0}};
  const AdagradOptions<double> o{.learning_rate = 0.1, .initial_accumulator = 0.2,
                                 .epsilon = 1e-6, .weight_decay = 0.05};
  Parameter<double> p = make_parameter(Shape{2}, {1.0, -1.0});
  Adagrad<double> adagrad({{"w", &p}}, o);
  std::vector<double> x = {1.0, -1.0}, s(2, o.initial_accumulator);
  for (const std::vector<double>& grad : grads) {
    set_grad(p, grad);
    adagrad.step();
    for (std::size_t i = 0; i < 2; ++i) {
      const double g = grad[i] + o.weight_decay * x[i];
      s[i] += g * g;
      x[i] -= o.learning_rate * g / (std::sqrt(s[i]) + o.epsilon);
      BOOST_TEST(p.value[static_cast<index_t>(i)] == x[i], boost::test_tools::tolerance(1e-13));
    }
  }
}

// Row 0 touched at steps 1 and 3, row 1 at step 2: row 0's accumulator must
// hold g1^2 + g3^2 only, and untouched rows never move.
BOOST_AUTO_TEST_CASE(sparse_rows_update_value_and_accumulator_only_when_touched) {
  const double lr = 0.5, eps = 1e-10;
  Parameter<double> table = make_parameter(Shape{3, 1}, {1, 2, 3});
  table.sparse = true;
  Adagrad<double> adagrad({{"user_embedding.weight", &table}}, {.learning_rate = lr});
  const auto sparse_step = [&](index_t row, double g) {
    adagrad.zero_grad();
    table.grad(row, 0) = g;
    table.grad(2, 0) = 5.0;  // never listed: an untouched row's gradient is never read
    table.touched_rows = {row};
    adagrad.step();
  };
  sparse_step(0, 2.0);
  const double row0_after_1 = 1 - lr * 2.0 / (2.0 + eps);
  BOOST_TEST(table.value(0, 0) == row0_after_1, boost::test_tools::tolerance(1e-14));
  sparse_step(1, -1.0);
  BOOST_TEST(table.value(0, 0) == row0_after_1);
  BOOST_TEST(table.value(1, 0) == 2 + lr * 1.0 / (1.0 + eps), boost::test_tools::tolerance(1e-14));
  sparse_step(0, 1.0);
  BOOST_TEST(table.value(0, 0) == row0_after_1 - lr * 1.0 / (std::sqrt(5.0) + eps),
             boost::test_tools::tolerance(1e-14));
  BOOST_TEST(table.value(2, 0) == 3.0);
}

BOOST_AUTO_TEST_CASE(frozen_parameter_does_not_move) {
  Parameter<double> frozen = make_parameter(Shape{2}, {1, 2});
  frozen.trainable = false;
  set_grad(frozen, {1, 1});
  Adagrad<double> adagrad({{"frozen", &frozen}});
  adagrad.step();
  BOOST_TEST(frozen.value.to_vector() == std::vector<double>({1, 2}),
             boost::test_tools::per_element());
  adagrad.zero_grad();
  BOOST_TEST(frozen.grad.to_vector() == std::vector<double>({0, 0}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(invalid_options_and_nan_gradient) {
  Parameter<double> p(Shape{2});
  auto make = [&](AdagradOptions<double> o) {
    return [&p, o] { Adagrad<double>({{"p", &p}}, o); };
  };
  require_throw_naming<invalid_argument>(make({.learning_rate = -1}), {"learning_rate"});
  require_throw_naming<invalid_argument>(make({.initial_accumulator = -1}),
                                        {"initial_accumulator"});
  require_throw_naming<invalid_argument>(make({.epsilon = 0}), {"epsilon"});
  require_throw_naming<invalid_argument>(make({.weight_decay = -2}), {"weight_decay"});
  Adagrad<double> adagrad({{"head.bias", &p}});
  p.grad[1] = std::nan("");
  require_throw_naming<invalid_argument>([&] { adagrad.step(); }, {"head.bias"});
}

BOOST_AUTO_TEST_SUITE_END()
