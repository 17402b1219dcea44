#include <adaptrec/heads/shared_bottom.hpp>
#include <boost/test/unit_test.hpp>

#include "head_testing.hpp"

using namespace adaptrec;
using namespace adaptrec_test;

namespace {

heads::SharedBottom<double> make_head(Rng& rng) {
  return heads::SharedBottom<double>({.input_dim = 6,
                                      .output_dim = 2,
                                      .num_scenarios = 3,
                                      .bottom_widths = {7, 5},
                                      .tower_widths = {4}},
                                     rng);
}

const std::vector<index_t> mixed{2, 0, 1, 0, 2, 2};

}  // namespace

BOOST_AUTO_TEST_SUITE(heads_shared_bottom)

BOOST_AUTO_TEST_CASE(shapes_and_dimensions) {
  Rng rng(1);
  auto head = make_head(rng);
  BOOST_TEST(head.input_dim() == 6);
  BOOST_TEST(head.output_dim() == 2);
  BOOST_TEST(head.num_scenarios() == 3);
  BOOST_TEST(head.forward(random_tensor<double>(Shape{6, 6}, rng), mixed).shape() == (Shape{6, 2}));
  BOOST_TEST(head.forward(Tensor<double>(Shape{0, 6}), std::vector<index_t>{}).shape() ==
             (Shape{0, 2}));
}

BOOST_AUTO_TEST_CASE(each_row_goes_through_the_bottom_and_its_scenario_tower) {
  Rng rng(2);
  auto head = make_head(rng);
  const Tensor<double> x = random_tensor<double>(Shape{6, 6}, rng);
  const Tensor<double> y = head.forward(x, mixed);
  const auto values = parameter_values(head);
  for (index_t r = 0; r < 6; ++r) {
    const Vector shared = mlp_reference(values, "bottom", row_vector(x, r), true);
    const Vector expected = mlp_reference(
        values, "towers." + std::to_string(mixed[static_cast<std::size_t>(r)]), shared, false);
    for (index_t c = 0; c < 2; ++c)
      BOOST_TEST(y(r, c) == expected[static_cast<std::size_t>(c)],
                 boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(mixed_and_single_scenario_batches_agree_row_by_row) {
  Rng rng(3);
  auto head = make_head(rng);
  const Tensor<double> x = random_tensor<double>(Shape{6, 6}, rng);
  check_rows_match_mixed_batch(head, x, mixed);
  const Tensor<double> all_one = head.forward(x, std::vector<index_t>(6, 1));
  check_rows_match_mixed_batch(head, x, std::vector<index_t>(6, 1));
  BOOST_TEST(all_one.shape() == (Shape{6, 2}));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(4);
  auto head = make_head(rng);
  check_head_gradients(head, random_tensor<double>(Shape{6, 6}, rng), mixed, rng);
}

BOOST_AUTO_TEST_CASE(single_scenario_gradients_match_finite_differences) {
  Rng rng(5);
  auto head = make_head(rng);
  check_head_gradients(head, random_tensor<double>(Shape{4, 6}, rng), {1, 1, 1, 1}, rng);
}

BOOST_AUTO_TEST_CASE(a_scenario_0_batch_leaves_other_towers_without_gradient) {
  Rng rng(6);
  auto head = make_head(rng);
  zero_grad(head);
  head.forward(random_tensor<double>(Shape{4, 6}, rng), std::vector<index_t>(4, 0));
  head.backward(random_tensor<double>(Shape{4, 2}, rng));
  check_only_scenario_gets_gradient(head, 0, 3);
  BOOST_TEST(max_abs(head.bottom().linear(0).weight().grad) > 0.0);
}

BOOST_AUTO_TEST_CASE(parameters_are_named_by_path) {
  Rng rng(7);
  heads::SharedBottom<double> head({.input_dim = 3,
                                    .output_dim = 1,
                                    .num_scenarios = 2,
                                    .bottom_widths = {4},
                                    .tower_widths = {}},
                                   rng);
  const auto names = parameter_names(head);
  BOOST_TEST(names == (std::vector<std::string>{"bottom.0.weight", "bottom.0.bias",
                                                "towers.0.0.weight", "towers.0.0.bias",
                                                "towers.1.0.weight", "towers.1.0.bias"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(train_and_eval_reach_bottom_and_towers) {
  Rng rng(8);
  auto head = make_head(rng);
  head.eval();
  BOOST_TEST(!head.is_training());
  BOOST_TEST(!head.bottom().is_training());
  BOOST_TEST(!head.tower(2).is_training());
  head.train(true);
  BOOST_TEST(head.tower(2).is_training());
}

BOOST_AUTO_TEST_CASE(bad_input_and_options_throw_naming_them) {
  Rng rng(9);
  auto head = make_head(rng);
  check_input_errors(head, "adaptrec::heads::SharedBottom", rng);
  require_throw_naming<invalid_argument>(
      [&] {
        heads::SharedBottom<double>({.input_dim = 3, .output_dim = 1, .num_scenarios = 2}, rng);
      },
      {"SharedBottom", "bottom_widths"});
  require_throw_naming<invalid_argument>(
      [&] {
        heads::SharedBottom<double>(
            {.input_dim = 3, .output_dim = 1, .num_scenarios = 0, .bottom_widths = {2}}, rng);
      },
      {"SharedBottom", "num_scenarios", "0"});
}

BOOST_AUTO_TEST_SUITE_END()
