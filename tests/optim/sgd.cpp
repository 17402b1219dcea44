#include <adaptrec/optim/sgd.hpp>

#include <support/expect_throw.hpp>
#include <support/parameters.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace adaptrec;
using optim::Sgd;
using optim::SgdOptions;
using adaptrec_test::make_parameter;
using adaptrec_test::require_throw_naming;
using adaptrec_test::set_grad;

BOOST_AUTO_TEST_SUITE(optim_sgd)

BOOST_AUTO_TEST_CASE(plain_step_with_weight_decay) {
  Parameter<double> p = make_parameter(Shape{3}, {1.0, -2.0, 0.5});
  set_grad(p, {0.3, 0.1, -0.2});
  Sgd<double> sgd({{"w", &p}}, {.learning_rate = 0.1, .weight_decay = 0.01});
  BOOST_TEST(sgd.size() == 1u);
  const std::vector<double> x0 = p.value.to_vector(), g = p.grad.to_vector();
  sgd.step();
  for (index_t i = 0; i < 3; ++i) {
    const double expected = x0[i] - 0.1 * (g[i] + 0.01 * x0[i]);
    BOOST_TEST(p.value[i] == expected, boost::test_tools::tolerance(1e-14));
  }
}

// torch.optim.SGD: b_1 = d_1, b_t = mu b_{t-1} + (1 - dampening) d_t, x -= lr b_t.
BOOST_AUTO_TEST_CASE(momentum_with_dampening_matches_recurrence) {
  const std::vector<std::vector<double>> grads = {{0.5, -1.0}, {0.25, 2.0}, {-0.75, 0.5}};
  const double lr = 0.05, mu = 0.9, damp = 0.3, wd = 0.02;
  Parameter<double> p = make_parameter(Shape{2}, {1.0, -1.0});
  Sgd<double> sgd({{"w", &p}},
                  {.learning_rate = lr, .momentum = mu, .weight_decay = wd, .dampening = damp});
  std::vector<double> x = {1.0, -1.0}, b(2);
  for (std::size_t t = 0; t < grads.size(); ++t) {
    set_grad(p, grads[t]);
    sgd.step();
    for (std::size_t i = 0; i < 2; ++i) {
      const double d = grads[t][i] + wd * x[i];
      b[i] = t == 0 ? d : mu * b[i] + (1 - damp) * d;
      x[i] -= lr * b[i];
      BOOST_TEST(p.value[static_cast<index_t>(i)] == x[i], boost::test_tools::tolerance(1e-13));
    }
  }
}

// With a constant gradient g the buffers are g, (1 + mu) g, (1 + mu + mu^2) g.
BOOST_AUTO_TEST_CASE(momentum_and_nesterov_closed_form) {
  const double lr = 0.1, mu = 0.5, g = 2.0, x0 = 3.0;
  Parameter<double> heavy_ball = make_parameter(Shape{1}, {x0});
  Parameter<double> nesterov = make_parameter(Shape{1}, {x0});
  Sgd<double> sgd_heavy_ball({{"a", &heavy_ball}}, {.learning_rate = lr, .momentum = mu});
  Sgd<double> sgd_nesterov({{"b", &nesterov}},
                           {.learning_rate = lr, .momentum = mu, .nesterov = true});
  for (int t = 0; t < 3; ++t) {
    set_grad(heavy_ball, {g});
    set_grad(nesterov, {g});
    sgd_heavy_ball.step();
    sgd_nesterov.step();
  }
  const double b1 = g, b2 = (1 + mu) * g, b3 = (1 + mu + mu * mu) * g;
  BOOST_TEST(heavy_ball.value[0] == x0 - lr * (b1 + b2 + b3), boost::test_tools::tolerance(1e-14));
  BOOST_TEST(nesterov.value[0] == x0 - lr * (3 * g + mu * (b1 + b2 + b3)),
             boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(sparse_parameter_updates_touched_rows_only) {
  Parameter<double> table = make_parameter(Shape{3, 2}, {1, 2, 3, 4, 5, 6});
  table.sparse = true;
  // Row 1 is not listed, so the optimizer must not read its (bogus) gradient.
  set_grad(table, {0.5, -0.5, 9.0, 9.0, 1.0, 2.0});
  table.touched_rows = {0, 2};
  Sgd<double> sgd({{"embedding.weight", &table}}, {.learning_rate = 0.1});
  sgd.step();
  const std::vector<double> expected = {0.95, 2.05, 3, 4, 4.9, 5.8};
  for (index_t i = 0; i < 6; ++i)
    BOOST_TEST(table.value[i] == expected[static_cast<std::size_t>(i)],
               boost::test_tools::tolerance(1e-14));
}

// With momentum, a row touched once keeps moving afterwards, as in torch.
BOOST_AUTO_TEST_CASE(sparse_parameter_with_momentum_is_dense) {
  Parameter<double> table = make_parameter(Shape{2, 1}, {0, 0});
  table.sparse = true;
  Sgd<double> sgd({{"table", &table}}, {.learning_rate = 1.0, .momentum = 0.5});
  set_grad(table, {1.0, 0.0});
  table.touched_rows = {0};
  sgd.step();
  sgd.zero_grad();
  BOOST_TEST(table.touched_rows.empty());
  sgd.step();
  BOOST_TEST(table.value[0] == -1.5, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(table.value[1] == 0.0);
}

BOOST_AUTO_TEST_CASE(frozen_parameter_does_not_move_but_is_zeroed) {
  Parameter<double> trained = make_parameter(Shape{2}, {1, 1});
  Parameter<double> frozen = make_parameter(Shape{2}, {1, 1});
  frozen.trainable = false;
  set_grad(trained, {1, 1});
  set_grad(frozen, {1, 1});
  Sgd<double> sgd({{"trained", &trained}, {"frozen", &frozen}},
                  {.learning_rate = 0.1, .momentum = 0.9, .weight_decay = 0.1});
  sgd.step();
  BOOST_TEST(frozen.value.to_vector() == std::vector<double>({1, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(trained.value[0] < 1.0);
  sgd.zero_grad();
  for (double g : frozen.grad) BOOST_TEST(g == 0.0);
  for (double g : trained.grad) BOOST_TEST(g == 0.0);
}

BOOST_AUTO_TEST_CASE(invalid_options_name_the_option) {
  Parameter<double> p(Shape{1});
  auto make = [&](SgdOptions<double> o) { return [&p, o] { Sgd<double>({{"p", &p}}, o); }; };
  require_throw_naming<invalid_argument>(make({.learning_rate = -1}), {"learning_rate"});
  require_throw_naming<invalid_argument>(make({.learning_rate = std::nan("")}), {"learning_rate"});
  require_throw_naming<invalid_argument>(make({.momentum = -0.1}), {"momentum"});
  require_throw_naming<invalid_argument>(make({.weight_decay = -1}), {"weight_decay"});
  require_throw_naming<invalid_argument>(make({.dampening = 2}), {"dampening"});
  require_throw_naming<invalid_argument>(make({.nesterov = true}), {"nesterov"});
  require_throw_naming<invalid_argument>(
      make({.momentum = 0.9, .nesterov = true, .dampening = 0.1}), {"nesterov"});
  Sgd<double> sgd({{"p", &p}});
  require_throw_naming<invalid_argument>([&] { sgd.set_learning_rate(-0.5); }, {"learning_rate"});
  sgd.set_learning_rate(0.5);
  BOOST_TEST(sgd.learning_rate() == 0.5);
}

BOOST_AUTO_TEST_CASE(nan_gradient_names_the_parameter_and_moves_nothing) {
  Parameter<double> good = make_parameter(Shape{2}, {1, 2});
  Parameter<double> bad = make_parameter(Shape{2}, {3, 4});
  set_grad(good, {1, 1});
  set_grad(bad, {0, std::nan("")});
  Sgd<double> sgd({{"tower.good", &good}, {"tower.bad", &bad}}, {.learning_rate = 0.1});
  require_throw_naming<invalid_argument>([&] { sgd.step(); }, {"tower.bad"});
  BOOST_TEST(good.value[0] == 1.0);
  BOOST_TEST(bad.value[0] == 3.0);
}

BOOST_AUTO_TEST_CASE(float_parameters_from_a_list) {
  Parameter<float> p(Shape{2, 2});
  p.value.fill(1.0f);
  p.grad.fill(0.5f);
  std::vector<NamedParameter<float>> params = {{"w", &p}};
  Sgd<> sgd(params);
  sgd.step();
  for (float x : p.value) BOOST_TEST(x == 1.0f - 0.01f * 0.5f, boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_SUITE_END()
