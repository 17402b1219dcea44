#include <adaptrec/heads/partitioned_normalization.hpp>
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "head_testing.hpp"

using namespace adaptrec;
using namespace adaptrec_test;

namespace {

using Norm = heads::PartitionedNormalization<double>;

const std::vector<index_t> mixed{0, 1, 0, 2, 1, 0, 1, 2};

// Moves every scale and shift away from 1 and 0, so that a wrong product or
// sum in the forward or the gradients shows.
void randomize(Norm& norm, Rng& rng) {
  for (auto& [name, p] : collect_parameters(norm)) fill_uniform(p->value, 0.5, 1.5, rng);
}

Tensor<double> rows_of(const Tensor<double>& x, const std::vector<index_t>& scenario, index_t s) {
  std::vector<double> values;
  for (index_t r = 0; r < x.dim(0); ++r)
    if (scenario[static_cast<std::size_t>(r)] == s) {
      const Vector row = row_vector(x, r);
      values.insert(values.end(), row.begin(), row.end());
    }
  return Tensor<double>(Shape{static_cast<index_t>(values.size()) / x.dim(1), x.dim(1)}, values);
}

struct Moments {
  Vector mean, var;  // biased variance
};

Moments moments(const Tensor<double>& x) {
  const index_t n = x.dim(0), d = x.dim(1);
  Moments m{Vector(static_cast<std::size_t>(d), 0.0), Vector(static_cast<std::size_t>(d), 0.0)};
  for (index_t c = 0; c < d; ++c) {
    const auto k = static_cast<std::size_t>(c);
    for (index_t r = 0; r < n; ++r) m.mean[k] += x(r, c) / double(n);
    for (index_t r = 0; r < n; ++r)
      m.var[k] += (x(r, c) - m.mean[k]) * (x(r, c) - m.mean[k]) / double(n);
  }
  return m;
}

// Eq. 1 of Sheng et al. (2021) for one row of scenario s.
double expected(Norm& norm, index_t s, index_t c, double x, double mean, double var) {
  const double gamma = norm.weight().value[c] * norm.scenario_weight(s).value[c];
  const double beta = norm.bias().value[c] + norm.scenario_bias(s).value[c];
  return gamma * (x - mean) / std::sqrt(var + norm.eps()) + beta;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(heads_partitioned_normalization)

BOOST_AUTO_TEST_CASE(shapes_and_initial_state) {
  Norm norm(4, 3);
  BOOST_TEST(norm.input_dim() == 4);
  BOOST_TEST(norm.output_dim() == 4);
  BOOST_TEST(norm.num_scenarios() == 3);
  BOOST_TEST(norm.running_mean().shape() == (Shape{3, 4}));
  for (double v : norm.running_mean()) BOOST_TEST(v == 0.0);
  for (double v : norm.running_var()) BOOST_TEST(v == 1.0);
  for (double v : norm.scenario_weight(2).value) BOOST_TEST(v == 1.0);
  for (double v : norm.scenario_bias(2).value) BOOST_TEST(v == 0.0);
  Rng rng(1);
  BOOST_TEST(norm.forward(random_tensor<double>(Shape{8, 4}, rng), mixed).shape() == (Shape{8, 4}));
}

BOOST_AUTO_TEST_CASE(training_normalizes_with_each_scenarios_batch_statistics) {
  Rng rng(2);
  Norm norm(4, 3);
  randomize(norm, rng);
  const Tensor<double> x = random_tensor<double>(Shape{8, 4}, rng, -2.0, 3.0);
  const Tensor<double> y = norm.forward(x, mixed);
  for (index_t s = 0; s < 3; ++s) {
    const Moments m = moments(rows_of(x, mixed, s));
    for (index_t r = 0; r < 8; ++r) {
      if (mixed[static_cast<std::size_t>(r)] != s) continue;
      for (index_t c = 0; c < 4; ++c) {
        const auto k = static_cast<std::size_t>(c);
        BOOST_TEST(y(r, c) == expected(norm, s, c, x(r, c), m.mean[k], m.var[k]),
                   boost::test_tools::tolerance(1e-12));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_mixed_batch_gives_each_scenario_what_its_rows_alone_give) {
  Rng rng(3);
  Norm norm(4, 3);
  randomize(norm, rng);
  const Tensor<double> x = random_tensor<double>(Shape{8, 4}, rng);
  const Tensor<double> y = norm.forward(x, mixed);
  for (index_t s = 0; s < 3; ++s) {
    const Tensor<double> part = rows_of(x, mixed, s);
    const Tensor<double> alone =
        norm.forward(part, std::vector<index_t>(static_cast<std::size_t>(part.dim(0)), s));
    require_close(alone, rows_of(y, mixed, s), "scenario " + std::to_string(s));
  }
}

BOOST_AUTO_TEST_CASE(moving_statistics_follow_the_momentum_update) {
  Rng rng(4);
  Norm norm(3, 3, {.momentum = 0.25, .eps = 1e-5});
  const std::vector<index_t> first{0, 0, 0, 1}, second{0, 0, 1};
  const Tensor<double> a = random_tensor<double>(Shape{4, 3}, rng);
  const Tensor<double> b = random_tensor<double>(Shape{3, 3}, rng);
  norm.forward(a, first);
  norm.forward(b, second);
  const Moments a0 = moments(rows_of(a, first, 0)), b0 = moments(rows_of(b, second, 0));
  const Moments a1 = moments(rows_of(a, first, 1)), b1 = moments(rows_of(b, second, 1));
  for (index_t c = 0; c < 3; ++c) {
    const auto k = static_cast<std::size_t>(c);
    // Scenario 0: three rows, then two; the running variance is unbiased.
    const double mean0 = 0.75 * (0.75 * 0.0 + 0.25 * a0.mean[k]) + 0.25 * b0.mean[k];
    const double var0 = 0.75 * (0.75 * 1.0 + 0.25 * a0.var[k] * 3 / 2) + 0.25 * b0.var[k] * 2;
    BOOST_TEST(norm.running_mean()(0, c) == mean0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(norm.running_var()(0, c) == var0, boost::test_tools::tolerance(1e-12));
    // Scenario 1: one row each time updates the mean only.
    const double mean1 = 0.75 * (0.75 * 0.0 + 0.25 * a1.mean[k]) + 0.25 * b1.mean[k];
    BOOST_TEST(norm.running_mean()(1, c) == mean1, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(norm.running_var()(1, c) == 1.0);
    // Scenario 2 saw no rows.
    BOOST_TEST(norm.running_mean()(2, c) == 0.0);
    BOOST_TEST(norm.running_var()(2, c) == 1.0);
  }
}

BOOST_AUTO_TEST_CASE(eval_mode_uses_the_moving_statistics_and_keeps_them) {
  Rng rng(5);
  Norm norm(4, 3);
  randomize(norm, rng);
  for (int step = 0; step < 3; ++step)
    norm.forward(random_tensor<double>(Shape{8, 4}, rng, -1.0, 2.0), mixed);
  const Tensor<double> mean = norm.running_mean(), var = norm.running_var();
  norm.eval();
  BOOST_TEST(!norm.is_training());
  const Tensor<double> x = random_tensor<double>(Shape{8, 4}, rng);
  const Tensor<double> y = norm.forward(x, mixed);
  for (index_t r = 0; r < 8; ++r) {
    const index_t s = mixed[static_cast<std::size_t>(r)];
    for (index_t c = 0; c < 4; ++c)
      BOOST_TEST(y(r, c) == expected(norm, s, c, x(r, c), mean(s, c), var(s, c)),
                 boost::test_tools::tolerance(1e-12));
  }
  require_close(norm.running_mean(), mean, "running_mean after eval", 0.0);
  require_close(norm.running_var(), var, "running_var after eval", 0.0);
  check_rows_match_mixed_batch(norm, x, mixed);
}

BOOST_AUTO_TEST_CASE(training_gradients_match_finite_differences) {
  Rng rng(6);
  Norm norm(4, 3);
  randomize(norm, rng);
  check_head_gradients(norm, random_tensor<double>(Shape{8, 4}, rng), mixed, rng);
  check_head_gradients(norm, random_tensor<double>(Shape{5, 4}, rng), {1, 1, 1, 1, 1}, rng);
}

BOOST_AUTO_TEST_CASE(eval_gradients_match_finite_differences) {
  Rng rng(7);
  Norm norm(4, 3);
  randomize(norm, rng);
  norm.forward(random_tensor<double>(Shape{8, 4}, rng), mixed);
  norm.eval();
  check_head_gradients(norm, random_tensor<double>(Shape{8, 4}, rng), mixed, rng);
}

BOOST_AUTO_TEST_CASE(a_scenario_0_batch_leaves_other_scenarios_without_gradient) {
  Rng rng(8);
  Norm norm(4, 3);
  randomize(norm, rng);
  zero_grad(norm);
  norm.forward(random_tensor<double>(Shape{5, 4}, rng), std::vector<index_t>(5, 0));
  norm.backward(random_tensor<double>(Shape{5, 4}, rng));
  check_only_scenario_gets_gradient(norm, 0, 3);
  BOOST_TEST(max_abs(norm.weight().grad) > 0.0);
}

BOOST_AUTO_TEST_CASE(frozen_parameters_keep_a_zero_gradient) {
  Rng rng(9);
  Norm norm(4, 3);
  randomize(norm, rng);
  zero_grad(norm);
  norm.weight().trainable = false;
  norm.scenario_bias(1).trainable = false;
  norm.forward(random_tensor<double>(Shape{8, 4}, rng), mixed);
  norm.backward(random_tensor<double>(Shape{8, 4}, rng));
  BOOST_TEST(max_abs(norm.weight().grad) == 0.0);
  BOOST_TEST(max_abs(norm.scenario_bias(1).grad) == 0.0);
  BOOST_TEST(max_abs(norm.scenario_weight(1).grad) > 0.0);
}

BOOST_AUTO_TEST_CASE(parameters_and_buffers_are_named_by_path) {
  Norm norm(2, 2);
  const auto names = parameter_names(norm, "pn");
  BOOST_TEST(names == (std::vector<std::string>{"pn.weight", "pn.bias", "pn.scenario_weight.0",
                                                "pn.scenario_weight.1", "pn.scenario_bias.0",
                                                "pn.scenario_bias.1"}),
             boost::test_tools::per_element());
  std::vector<std::string> buffers;
  norm.visit_buffers(
      [&](const std::string& name, Tensor<double>& t) {
        buffers.push_back(name);
        BOOST_TEST(t.shape() == (Shape{2, 2}));
      },
      "pn");
  BOOST_TEST(buffers == (std::vector<std::string>{"pn.running_mean", "pn.running_var"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bad_input_and_options_throw_naming_them) {
  Rng rng(10);
  Norm norm(4, 3);
  check_input_errors(norm, "adaptrec::heads::PartitionedNormalization", rng);
  require_throw_naming<invalid_argument>([&] { Norm(4, 3, {.momentum = 1.5}); },
                                         {"PartitionedNormalization", "momentum", "1.5"});
  require_throw_naming<invalid_argument>([&] { Norm(4, 3, {.eps = 0.0}); },
                                         {"PartitionedNormalization", "eps"});
  require_throw_naming<invalid_argument>([&] { Norm(0, 3); },
                                         {"PartitionedNormalization", "dim", "0"});
}

BOOST_AUTO_TEST_SUITE_END()
