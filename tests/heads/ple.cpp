#include <adaptrec/heads/ple.hpp>
#include <boost/test/unit_test.hpp>

#include "head_testing.hpp"

using namespace adaptrec;
using namespace adaptrec_test;

namespace {

heads::PleOptions options(index_t levels) {
  return {.input_dim = 5,
          .output_dim = 2,
          .num_scenarios = 3,
          .num_levels = levels,
          .shared_experts = 2,
          .scenario_experts = 1,
          .expert_widths = {5, 4},
          .tower_widths = {3}};
}

const std::vector<index_t> mixed{1, 0, 2, 1, 1, 0};

// Tang et al. (2020), eq. 2-6, for one row of scenario s, from the head's
// named parameters: own experts read the row's scenario path, shared experts
// the shared path; the shared gate mixes s's experts and the shared ones.
Vector reference(const std::map<std::string, Tensor<double>>& values, const heads::PleOptions& o,
                 const Vector& x, index_t s) {
  Vector own_path = x, shared_path = x;
  const std::string scenario = std::to_string(s);
  for (index_t j = 0; j < o.num_levels; ++j) {
    const std::string level = "levels." + std::to_string(j) + ".";
    std::vector<Vector> experts;
    for (index_t i = 0; i < o.scenario_experts; ++i)
      experts.push_back(
          mlp_reference(values, level + "scenario_experts." + scenario + "." + std::to_string(i),
                        own_path, true));
    for (index_t i = 0; i < o.shared_experts; ++i)
      experts.push_back(
          mlp_reference(values, level + "shared_experts." + std::to_string(i), shared_path, true));
    const Vector gate = softmax_reference(
        linear_reference(values, level + "scenario_gates." + scenario, own_path, false));
    Vector next_shared;
    if (j + 1 < o.num_levels) {
      const Vector all = linear_reference(values, level + "shared_gate", shared_path, false);
      Vector selected;
      for (index_t i = 0; i < o.scenario_experts; ++i)
        selected.push_back(all[static_cast<std::size_t>(s * o.scenario_experts + i)]);
      for (index_t i = 0; i < o.shared_experts; ++i)
        selected.push_back(all[static_cast<std::size_t>(o.num_scenarios * o.scenario_experts + i)]);
      next_shared = mix_reference(softmax_reference(selected), experts);
    }
    own_path = mix_reference(gate, experts);
    shared_path = next_shared;
  }
  return mlp_reference(values, "towers." + scenario, own_path, false);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(heads_ple)

BOOST_AUTO_TEST_CASE(shapes_and_dimensions) {
  Rng rng(1);
  heads::Ple<double> head(options(2), rng);
  BOOST_TEST(head.input_dim() == 5);
  BOOST_TEST(head.output_dim() == 2);
  BOOST_TEST(head.num_scenarios() == 3);
  BOOST_TEST(head.num_levels() == 2);
  BOOST_TEST(head.forward(random_tensor<double>(Shape{6, 5}, rng), mixed).shape() == (Shape{6, 2}));
  BOOST_TEST(head.forward(Tensor<double>(Shape{0, 5}), std::vector<index_t>{}).shape() ==
             (Shape{0, 2}));
}

BOOST_AUTO_TEST_CASE(output_follows_the_extraction_equations) {
  for (index_t levels : {1, 2, 3}) {
    Rng rng(2);
    heads::Ple<double> head(options(levels), rng);
    const Tensor<double> x = random_tensor<double>(Shape{6, 5}, rng);
    const Tensor<double> y = head.forward(x, mixed);
    const auto values = parameter_values(head);
    for (index_t r = 0; r < 6; ++r) {
      const Vector expected =
          reference(values, options(levels), row_vector(x, r), mixed[static_cast<std::size_t>(r)]);
      for (index_t c = 0; c < 2; ++c)
        BOOST_TEST(y(r, c) == expected[static_cast<std::size_t>(c)],
                   boost::test_tools::tolerance(1e-12));
    }
  }
}

BOOST_AUTO_TEST_CASE(mixed_and_single_scenario_batches_agree_row_by_row) {
  Rng rng(3);
  heads::Ple<double> head(options(2), rng);
  const Tensor<double> x = random_tensor<double>(Shape{6, 5}, rng);
  check_rows_match_mixed_batch(head, x, mixed);
  check_rows_match_mixed_batch(head, x, std::vector<index_t>(6, 0));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(4);
  heads::Ple<double> head(options(2), rng);
  check_head_gradients(head, random_tensor<double>(Shape{6, 5}, rng), mixed, rng);
}

BOOST_AUTO_TEST_CASE(single_level_and_single_scenario_gradients_match_finite_differences) {
  Rng rng(5);
  heads::Ple<double> cgc(options(1), rng);
  check_head_gradients(cgc, random_tensor<double>(Shape{5, 5}, rng), {2, 0, 2, 1, 0}, rng);
  heads::Ple<double> head(options(2), rng);
  check_head_gradients(head, random_tensor<double>(Shape{4, 5}, rng), {1, 1, 1, 1}, rng);
}

BOOST_AUTO_TEST_CASE(a_scenario_0_batch_leaves_other_scenarios_without_gradient) {
  Rng rng(6);
  heads::Ple<double> head(options(2), rng);
  zero_grad(head);
  head.forward(random_tensor<double>(Shape{5, 5}, rng), std::vector<index_t>(5, 0));
  head.backward(random_tensor<double>(Shape{5, 2}, rng));
  check_only_scenario_gets_gradient(head, 0, 3);
  // The shared gate's logits for scenarios 1 and 2's experts take no part.
  for (auto& [name, p] : collect_parameters(head)) {
    if (name != "levels.0.shared_gate.weight") continue;
    const Tensor<double>& g = p->grad;
    for (index_t row = 0; row < g.dim(0); ++row) {
      double largest = 0;
      for (index_t c = 0; c < g.dim(1); ++c) largest = std::max(largest, std::abs(g(row, c)));
      const bool other_scenario = row == 1 || row == 2;
      BOOST_TEST((largest == 0.0) == other_scenario, "shared gate row " << row);
    }
  }
}

BOOST_AUTO_TEST_CASE(parameters_are_named_by_path) {
  Rng rng(7);
  heads::Ple<double> head({.input_dim = 3,
                           .output_dim = 1,
                           .num_scenarios = 2,
                           .num_levels = 2,
                           .shared_experts = 1,
                           .scenario_experts = 1,
                           .expert_widths = {2},
                           .tower_widths = {}},
                          rng);
  const auto names = parameter_names(head);
  BOOST_TEST(names == (std::vector<std::string>{"levels.0.shared_experts.0.0.weight",
                                                "levels.0.shared_experts.0.0.bias",
                                                "levels.0.scenario_experts.0.0.0.weight",
                                                "levels.0.scenario_experts.0.0.0.bias",
                                                "levels.0.scenario_experts.1.0.0.weight",
                                                "levels.0.scenario_experts.1.0.0.bias",
                                                "levels.0.scenario_gates.0.weight",
                                                "levels.0.scenario_gates.1.weight",
                                                "levels.0.shared_gate.weight",
                                                "levels.1.shared_experts.0.0.weight",
                                                "levels.1.shared_experts.0.0.bias",
                                                "levels.1.scenario_experts.0.0.0.weight",
                                                "levels.1.scenario_experts.0.0.0.bias",
                                                "levels.1.scenario_experts.1.0.0.weight",
                                                "levels.1.scenario_experts.1.0.0.bias",
                                                "levels.1.scenario_gates.0.weight",
                                                "levels.1.scenario_gates.1.weight",
                                                "towers.0.0.weight",
                                                "towers.0.0.bias",
                                                "towers.1.0.weight",
                                                "towers.1.0.bias"}),
             boost::test_tools::per_element());
  // Level 0's shared gate has a logit for every expert: 2 scenarios x 1 + 1 shared.
  for (auto& [name, p] : collect_parameters(head))
    if (name == "levels.0.shared_gate.weight") BOOST_TEST(p->shape() == (Shape{3, 3}));
}

BOOST_AUTO_TEST_CASE(train_and_eval_reach_the_towers) {
  Rng rng(8);
  heads::Ple<double> head(options(2), rng);
  head.eval();
  BOOST_TEST(!head.is_training());
  BOOST_TEST(!head.tower(1).is_training());
  head.train(true);
  BOOST_TEST(head.tower(1).is_training());
}

BOOST_AUTO_TEST_CASE(bad_input_and_options_throw_naming_them) {
  Rng rng(9);
  heads::Ple<double> head(options(2), rng);
  check_input_errors(head, "adaptrec::heads::Ple", rng);
  heads::PleOptions no_levels = options(0);
  require_throw_naming<invalid_argument>([&] { heads::Ple<double>(no_levels, rng); },
                                         {"Ple", "num_levels", "0"});
  heads::PleOptions no_shared = options(1);
  no_shared.shared_experts = -1;
  require_throw_naming<invalid_argument>([&] { heads::Ple<double>(no_shared, rng); },
                                         {"Ple", "shared_experts", "-1"});
  heads::PleOptions no_widths = options(1);
  no_widths.expert_widths = {};
  require_throw_naming<invalid_argument>([&] { heads::Ple<double>(no_widths, rng); },
                                         {"Ple", "expert_widths"});
}

BOOST_AUTO_TEST_SUITE_END()
