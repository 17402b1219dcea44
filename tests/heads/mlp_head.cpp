#include <adaptrec/heads/mlp_head.hpp>
#include <boost/test/unit_test.hpp>

#include "head_testing.hpp"

using namespace adaptrec;
using namespace adaptrec_test;

namespace {

heads::MlpHead<double> make_head(Rng& rng) {
  return heads::MlpHead<double>(
      {.input_dim = 6, .output_dim = 3, .num_scenarios = 3, .hidden_widths = {5, 4}}, rng);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(heads_mlp_head)

BOOST_AUTO_TEST_CASE(shapes_and_dimensions) {
  Rng rng(1);
  auto head = make_head(rng);
  BOOST_TEST(head.input_dim() == 6);
  BOOST_TEST(head.output_dim() == 3);
  BOOST_TEST(head.num_scenarios() == 3);
  const Tensor<double> x = random_tensor<double>(Shape{4, 6}, rng);
  BOOST_TEST(head.forward(x, std::vector<index_t>{0, 1, 2, 1}).shape() == (Shape{4, 3}));
  BOOST_TEST(head.forward(Tensor<double>(Shape{0, 6}), std::vector<index_t>{}).shape() ==
             (Shape{0, 3}));
}

BOOST_AUTO_TEST_CASE(matches_plain_mlp_and_ignores_the_scenario) {
  Rng rng(2);
  auto head = make_head(rng);
  const Tensor<double> x = random_tensor<double>(Shape{5, 6}, rng);
  const Tensor<double> y = head.forward(x, std::vector<index_t>{0, 1, 2, 0, 1});
  require_close(head.forward(x, std::vector<index_t>{2, 2, 2, 2, 2}), y, "scenario 2 batch");
  const auto values = parameter_values(head);
  for (index_t r = 0; r < 5; ++r) {
    const Vector expected = mlp_reference(values, "mlp", row_vector(x, r), false);
    for (index_t c = 0; c < 3; ++c)
      BOOST_TEST(y(r, c) == expected[static_cast<std::size_t>(c)],
                 boost::test_tools::tolerance(1e-12));
  }
  check_rows_match_mixed_batch(head, x, {0, 1, 2, 0, 1});
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(3);
  auto head = make_head(rng);
  check_head_gradients(head, random_tensor<double>(Shape{5, 6}, rng), {0, 2, 1, 2, 0}, rng);
}

BOOST_AUTO_TEST_CASE(parameters_are_named_by_path) {
  Rng rng(4);
  auto head = make_head(rng);
  const auto names = parameter_names(head, "user");
  BOOST_TEST(names == (std::vector<std::string>{"user.mlp.0.weight", "user.mlp.0.bias",
                                                "user.mlp.2.weight", "user.mlp.2.bias",
                                                "user.mlp.4.weight", "user.mlp.4.bias"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(train_and_eval_reach_the_mlp) {
  Rng rng(5);
  auto head = make_head(rng);
  head.eval();
  BOOST_TEST(!head.is_training());
  BOOST_TEST(!head.mlp().is_training());
  head.train(true);
  BOOST_TEST(head.mlp().is_training());
}

BOOST_AUTO_TEST_CASE(bad_input_and_options_throw_naming_them) {
  Rng rng(6);
  auto head = make_head(rng);
  check_input_errors(head, "adaptrec::heads::MlpHead", rng);
  require_throw_naming<invalid_argument>(
      [&] { heads::MlpHead<double>({.input_dim = 4, .output_dim = 0, .num_scenarios = 1}, rng); },
      {"MlpHead", "output_dim", "0"});
  require_throw_naming<invalid_argument>(
      [&] {
        heads::MlpHead<double>(
            {.input_dim = 4, .output_dim = 1, .num_scenarios = 1, .hidden_widths = {3, -2}}, rng);
      },
      {"MlpHead", "hidden_widths[1] = -2"});
}

BOOST_AUTO_TEST_SUITE_END()
