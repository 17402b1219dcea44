#include <adaptrec/heads/mmoe.hpp>
#include <boost/test/unit_test.hpp>

#include "head_testing.hpp"

using namespace adaptrec;
using namespace adaptrec_test;

namespace {

heads::Mmoe<double> make_head(Rng& rng) {
  return heads::Mmoe<double>({.input_dim = 5,
                              .output_dim = 2,
                              .num_scenarios = 3,
                              .num_experts = 3,
                              .expert_widths = {6, 4},
                              .tower_widths = {3}},
                             rng);
}

const std::vector<index_t> mixed{1, 0, 2, 1, 1, 0};

// Eq. 5-6 of Ma et al. (2018) for one row, from the head's named parameters.
Vector reference(const std::map<std::string, Tensor<double>>& values, const Vector& x,
                 index_t scenario, index_t num_experts) {
  const std::string s = std::to_string(scenario);
  std::vector<Vector> experts;
  for (index_t i = 0; i < num_experts; ++i)
    experts.push_back(mlp_reference(values, "experts." + std::to_string(i), x, true));
  const Vector gate = softmax_reference(linear_reference(values, "gates." + s, x, false));
  return mlp_reference(values, "towers." + s, mix_reference(gate, experts), false);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(heads_mmoe)

BOOST_AUTO_TEST_CASE(shapes_and_dimensions) {
  Rng rng(1);
  auto head = make_head(rng);
  BOOST_TEST(head.input_dim() == 5);
  BOOST_TEST(head.output_dim() == 2);
  BOOST_TEST(head.num_scenarios() == 3);
  BOOST_TEST(head.num_experts() == 3);
  BOOST_TEST(head.forward(random_tensor<double>(Shape{6, 5}, rng), mixed).shape() == (Shape{6, 2}));
  BOOST_TEST(head.forward(Tensor<double>(Shape{0, 5}), std::vector<index_t>{}).shape() ==
             (Shape{0, 2}));
}

BOOST_AUTO_TEST_CASE(output_follows_the_multi_gate_mixture_equations) {
  Rng rng(2);
  auto head = make_head(rng);
  const Tensor<double> x = random_tensor<double>(Shape{6, 5}, rng);
  const Tensor<double> y = head.forward(x, mixed);
  const auto values = parameter_values(head);
  for (index_t r = 0; r < 6; ++r) {
    const Vector expected =
        reference(values, row_vector(x, r), mixed[static_cast<std::size_t>(r)], 3);
    for (index_t c = 0; c < 2; ++c)
      BOOST_TEST(y(r, c) == expected[static_cast<std::size_t>(c)],
                 boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(gate_probabilities_are_distributions_over_experts) {
  Rng rng(3);
  auto head = make_head(rng);
  head.forward(random_tensor<double>(Shape{6, 5}, rng), mixed);
  const Tensor<double>& p = head.gate_probabilities(1);
  BOOST_TEST(p.shape() == (Shape{3, 1, 3}));
  for (index_t r = 0; r < 3; ++r) {
    double total = 0;
    for (index_t i = 0; i < 3; ++i) total += p(r, 0, i);
    BOOST_TEST(total == 1.0, boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(mixed_and_single_scenario_batches_agree_row_by_row) {
  Rng rng(4);
  auto head = make_head(rng);
  const Tensor<double> x = random_tensor<double>(Shape{6, 5}, rng);
  check_rows_match_mixed_batch(head, x, mixed);
  check_rows_match_mixed_batch(head, x, std::vector<index_t>(6, 2));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(5);
  auto head = make_head(rng);
  check_head_gradients(head, random_tensor<double>(Shape{6, 5}, rng), mixed, rng);
}

BOOST_AUTO_TEST_CASE(single_scenario_gradients_match_finite_differences) {
  Rng rng(6);
  auto head = make_head(rng);
  check_head_gradients(head, random_tensor<double>(Shape{4, 5}, rng), {2, 2, 2, 2}, rng);
}

BOOST_AUTO_TEST_CASE(a_scenario_0_batch_leaves_other_gates_and_towers_without_gradient) {
  Rng rng(7);
  auto head = make_head(rng);
  zero_grad(head);
  head.forward(random_tensor<double>(Shape{5, 5}, rng), std::vector<index_t>(5, 0));
  head.backward(random_tensor<double>(Shape{5, 2}, rng));
  check_only_scenario_gets_gradient(head, 0, 3);
  for (index_t i = 0; i < 3; ++i)
    BOOST_TEST(max_abs(head.experts().expert(i).linear(0).weight().grad) > 0.0);
}

BOOST_AUTO_TEST_CASE(parameters_are_named_by_path) {
  Rng rng(8);
  heads::Mmoe<double> head({.input_dim = 3,
                            .output_dim = 1,
                            .num_scenarios = 2,
                            .num_experts = 2,
                            .expert_widths = {4},
                            .tower_widths = {}},
                           rng);
  const auto names = parameter_names(head, "item");
  BOOST_TEST(names == (std::vector<std::string>{"item.experts.0.0.weight", "item.experts.0.0.bias",
                                                "item.experts.1.0.weight", "item.experts.1.0.bias",
                                                "item.gates.0.weight", "item.gates.1.weight",
                                                "item.towers.0.0.weight", "item.towers.0.0.bias",
                                                "item.towers.1.0.weight", "item.towers.1.0.bias"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(train_and_eval_reach_every_part) {
  Rng rng(9);
  auto head = make_head(rng);
  head.eval();
  BOOST_TEST(!head.is_training());
  BOOST_TEST(!head.experts().expert(2).is_training());
  BOOST_TEST(!head.gate(1).is_training());
  BOOST_TEST(!head.tower(0).is_training());
  head.train(true);
  BOOST_TEST(head.experts().expert(2).is_training());
}

BOOST_AUTO_TEST_CASE(bad_input_and_options_throw_naming_them) {
  Rng rng(10);
  auto head = make_head(rng);
  check_input_errors(head, "adaptrec::heads::Mmoe", rng);
  require_throw_naming<invalid_argument>(
      [&] {
        heads::Mmoe<double>({.input_dim = 3,
                             .output_dim = 1,
                             .num_scenarios = 2,
                             .num_experts = 0,
                             .expert_widths = {4}},
                            rng);
      },
      {"Mmoe", "num_experts", "0"});
  require_throw_naming<invalid_argument>(
      [&] {
        heads::Mmoe<double>({.input_dim = 3, .output_dim = 1, .num_scenarios = 2, .num_experts = 2},
                            rng);
      },
      {"Mmoe", "expert widths"});
}

BOOST_AUTO_TEST_SUITE_END()
