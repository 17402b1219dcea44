#include <adaptrec/heads/star.hpp>
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "head_testing.hpp"

using namespace adaptrec;
using namespace adaptrec_test;

namespace {

heads::StarOptions plain() {
  return {.input_dim = 5, .output_dim = 2, .num_scenarios = 3, .hidden_widths = {6, 4}};
}

heads::StarOptions full() {
  return {.input_dim = 5,
          .output_dim = 1,
          .num_scenarios = 3,
          .hidden_widths = {4},
          .partitioned_normalization = true,
          .auxiliary_network = true,
          .auxiliary_embedding_dim = 3,
          .auxiliary_hidden_widths = {4}};
}

const std::vector<index_t> mixed{1, 0, 2, 1, 1, 0, 2};

// Moves the per-scenario weights away from their initial 1 and 0 (and the
// normalization's scales away from 1), so that each scenario differs.
void randomize_scenarios(heads::Star<double>& head, Rng& rng) {
  for (auto& [name, p] : collect_parameters(head))
    if (name.find("scenario_weight") != std::string::npos ||
        name.find("normalization.weight") != std::string::npos)
      fill_uniform(p->value, 0.5, 1.5, rng);
    else if (name.find("scenario_bias") != std::string::npos)
      fill_uniform(p->value, -0.5, 0.5, rng);
}

// Sec. 4.3, eq. 2-3 for one row of scenario s: y = act((W_s * W) h + b_s + b).
Vector star_reference(const std::map<std::string, Tensor<double>>& values, std::size_t layers,
                      Vector h, index_t s) {
  const std::string own = std::to_string(s);
  for (std::size_t l = 0; l < layers; ++l) {
    const std::string prefix = "layers." + std::to_string(l) + ".";
    const Tensor<double>& w = values.at(prefix + "weight");
    const Tensor<double>& ws = values.at(prefix + "scenario_weight." + own);
    Vector next(static_cast<std::size_t>(w.dim(0)));
    for (index_t o = 0; o < w.dim(0); ++o) {
      double sum = values.at(prefix + "bias")[o] + values.at(prefix + "scenario_bias." + own)[o];
      for (index_t i = 0; i < w.dim(1); ++i)
        sum += ws(o, i) * w(o, i) * h[static_cast<std::size_t>(i)];
      next[static_cast<std::size_t>(o)] = l + 1 < layers ? std::max(sum, 0.0) : sum;
    }
    h = next;
  }
  return h;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(heads_star)

BOOST_AUTO_TEST_CASE(shapes_and_dimensions) {
  Rng rng(1);
  heads::Star<double> head(plain(), rng);
  BOOST_TEST(head.input_dim() == 5);
  BOOST_TEST(head.output_dim() == 2);
  BOOST_TEST(head.num_scenarios() == 3);
  BOOST_TEST(head.num_layers() == 3u);
  BOOST_TEST(!head.has_normalization());
  BOOST_TEST(!head.has_auxiliary_network());
  BOOST_TEST(head.forward(random_tensor<double>(Shape{7, 5}, rng), mixed).shape() == (Shape{7, 2}));
  BOOST_TEST(head.forward(Tensor<double>(Shape{0, 5}), std::vector<index_t>{}).shape() ==
             (Shape{0, 2}));
}

BOOST_AUTO_TEST_CASE(training_starts_from_the_shared_network) {
  Rng rng(2);
  heads::Star<double> head(plain(), rng);
  const Tensor<double> x = random_tensor<double>(Shape{4, 5}, rng);
  const Tensor<double> y0 = head.forward(x, std::vector<index_t>(4, 0));
  for (index_t s = 1; s < 3; ++s)
    require_close(head.forward(x, std::vector<index_t>(4, s)), y0, "scenario " + std::to_string(s));
}

BOOST_AUTO_TEST_CASE(output_follows_the_star_topology_equations) {
  Rng rng(3);
  heads::Star<double> head(plain(), rng);
  randomize_scenarios(head, rng);
  const Tensor<double> x = random_tensor<double>(Shape{7, 5}, rng);
  const Tensor<double> y = head.forward(x, mixed);
  const auto values = parameter_values(head);
  for (index_t r = 0; r < 7; ++r) {
    const Vector expected = star_reference(values, head.num_layers(), row_vector(x, r),
                                           mixed[static_cast<std::size_t>(r)]);
    for (index_t c = 0; c < 2; ++c)
      BOOST_TEST(y(r, c) == expected[static_cast<std::size_t>(c)],
                 boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(normalization_and_auxiliary_network_follow_the_paper) {
  Rng rng(4);
  heads::Star<double> head(full(), rng);
  randomize_scenarios(head, rng);
  for (int step = 0; step < 2; ++step) head.forward(random_tensor<double>(Shape{7, 5}, rng), mixed);
  head.eval();
  BOOST_TEST(!head.normalization().is_training());
  const Tensor<double> x = random_tensor<double>(Shape{7, 5}, rng);
  const Tensor<double> y = head.forward(x, mixed);
  const auto values = parameter_values(head);
  auto& norm = head.normalization();
  const Tensor<double>& embedding = values.at("auxiliary.scenario_embedding.weight");
  for (index_t r = 0; r < 7; ++r) {
    const index_t s = mixed[static_cast<std::size_t>(r)];
    Vector normalized(5);
    for (index_t c = 0; c < 5; ++c)
      normalized[static_cast<std::size_t>(c)] =
          norm.weight().value[c] * norm.scenario_weight(s).value[c] *
              (x(r, c) - norm.running_mean()(s, c)) /
              std::sqrt(norm.running_var()(s, c) + norm.eps()) +
          norm.bias().value[c] + norm.scenario_bias(s).value[c];
    Vector auxiliary_input = row_vector(x, r);
    for (index_t e = 0; e < 3; ++e) auxiliary_input.push_back(embedding(s, e));
    // Sec. 4.4: the auxiliary logit is added to the star network's.
    const double expected = star_reference(values, head.num_layers(), normalized, s)[0] +
                            mlp_reference(values, "auxiliary.mlp", auxiliary_input, false)[0];
    BOOST_TEST(y(r, 0) == expected, boost::test_tools::tolerance(1e-12));
  }
  check_rows_match_mixed_batch(head, x, mixed);
}

BOOST_AUTO_TEST_CASE(mixed_and_single_scenario_batches_agree_row_by_row) {
  Rng rng(5);
  heads::Star<double> head(plain(), rng);
  randomize_scenarios(head, rng);
  const Tensor<double> x = random_tensor<double>(Shape{7, 5}, rng);
  check_rows_match_mixed_batch(head, x, mixed);
  check_rows_match_mixed_batch(head, x, std::vector<index_t>(7, 2));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(6);
  heads::Star<double> head(plain(), rng);
  randomize_scenarios(head, rng);
  check_head_gradients(head, random_tensor<double>(Shape{7, 5}, rng), mixed, rng);
}

BOOST_AUTO_TEST_CASE(gradients_with_normalization_and_auxiliary_network) {
  Rng rng(7);
  heads::Star<double> head(full(), rng);
  randomize_scenarios(head, rng);
  check_head_gradients(head, random_tensor<double>(Shape{7, 5}, rng), mixed, rng);
  check_head_gradients(head, random_tensor<double>(Shape{4, 5}, rng), {2, 2, 2, 2}, rng);
}

BOOST_AUTO_TEST_CASE(frozen_layers_keep_zero_gradients_and_still_pass_the_input_gradient) {
  Rng rng(12);
  heads::Star<double> head(plain(), rng);
  randomize_scenarios(head, rng);
  set_trainable(head, false);
  zero_grad(head);
  check_head_gradients(head, random_tensor<double>(Shape{7, 5}, rng), mixed, rng);
  for (auto& [name, p] : collect_parameters(head))
    BOOST_TEST(max_abs(p->grad) == 0.0, name << " is frozen but got gradient");
  // Unfreezing between forward and backward is caught, not silently wrong.
  head.forward(random_tensor<double>(Shape{7, 5}, rng), mixed);
  set_trainable(head, true);
  require_throw_naming<adaptrec::error>(
      [&] { head.backward(random_tensor<double>(Shape{7, 2}, rng)); }, {"Star", "frozen"});
}

BOOST_AUTO_TEST_CASE(a_scenario_0_batch_leaves_other_scenarios_without_gradient) {
  Rng rng(8);
  heads::Star<double> head(full(), rng);
  randomize_scenarios(head, rng);
  zero_grad(head);
  head.forward(random_tensor<double>(Shape{5, 5}, rng), std::vector<index_t>(5, 0));
  head.backward(random_tensor<double>(Shape{5, 1}, rng));
  check_only_scenario_gets_gradient(head, 0, 3);
  for (auto& [name, p] : collect_parameters(head))
    if (name == "auxiliary.scenario_embedding.weight") {
      const Tensor<double>& g = p->grad;
      for (index_t s = 0; s < 3; ++s) {
        double largest = 0;
        for (index_t e = 0; e < g.dim(1); ++e) largest = std::max(largest, std::abs(g(s, e)));
        BOOST_TEST((largest > 0.0) == (s == 0), "embedding row " << s);
      }
    }
}

BOOST_AUTO_TEST_CASE(parameter_counts_split_into_shared_and_per_scenario) {
  Rng rng(9);
  for (const heads::StarOptions& o : {plain(), full()}) {
    heads::Star<double> head(o, rng);
    BOOST_TEST(head.shared_parameter_count() + 3 * head.scenario_parameter_count() ==
               count_parameters(head).total);
  }
  heads::Star<double> head(plain(), rng);
  // 5x6 + 6, 6x4 + 4, 4x2 + 2 in each of the shared and every scenario's copy.
  BOOST_TEST(head.shared_parameter_count() == 74u);
  BOOST_TEST(head.scenario_parameter_count() == 74u);
}

BOOST_AUTO_TEST_CASE(parameters_and_buffers_are_named_by_path) {
  Rng rng(10);
  heads::Star<double> head({.input_dim = 3,
                            .output_dim = 1,
                            .num_scenarios = 2,
                            .partitioned_normalization = true,
                            .auxiliary_network = true,
                            .auxiliary_embedding_dim = 2,
                            .auxiliary_hidden_widths = {2}},
                           rng);
  const auto names = parameter_names(head);
  BOOST_TEST(
      names == (std::vector<std::string>{
                   "layers.0.weight", "layers.0.bias", "layers.0.scenario_weight.0",
                   "layers.0.scenario_weight.1", "layers.0.scenario_bias.0",
                   "layers.0.scenario_bias.1", "normalization.weight", "normalization.bias",
                   "normalization.scenario_weight.0", "normalization.scenario_weight.1",
                   "normalization.scenario_bias.0", "normalization.scenario_bias.1",
                   "auxiliary.scenario_embedding.weight", "auxiliary.mlp.0.weight",
                   "auxiliary.mlp.0.bias", "auxiliary.mlp.2.weight", "auxiliary.mlp.2.bias"}),
      boost::test_tools::per_element());
  std::vector<std::string> buffers;
  head.visit_buffers([&](const std::string& name, Tensor<double>&) { buffers.push_back(name); },
                     "");
  BOOST_TEST(buffers == (std::vector<std::string>{"normalization.running_mean",
                                                  "normalization.running_var"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bad_input_and_options_throw_naming_them) {
  Rng rng(11);
  heads::Star<double> head(full(), rng);
  check_input_errors(head, "adaptrec::heads::Star", rng);
  heads::StarOptions wide_auxiliary = full();
  wide_auxiliary.output_dim = 2;
  require_throw_naming<invalid_argument>([&] { heads::Star<double>(wide_auxiliary, rng); },
                                         {"Star", "auxiliary", "output_dim = 2"});
  heads::StarOptions bad_width = plain();
  bad_width.hidden_widths = {4, 0};
  require_throw_naming<invalid_argument>([&] { heads::Star<double>(bad_width, rng); },
                                         {"Star", "hidden_widths[1] = 0"});
}

BOOST_AUTO_TEST_SUITE_END()
