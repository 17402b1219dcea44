#include <adaptrec/layers/activation.hpp>
#include <adaptrec/layers/dropout.hpp>
#include <adaptrec/layers/embedding.hpp>
#include <adaptrec/layers/layer_norm.hpp>
#include <adaptrec/layers/linear.hpp>
#include <adaptrec/layers/sequential.hpp>

#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <type_traits>
#include <vector>

using namespace adaptrec;

using Block = layers::Sequential<layers::Linear<double>, layers::GELU<double>,
                                 layers::LayerNorm<double>>;
using Tower = layers::Sequential<layers::Embedding<double>, layers::Linear<double>,
                                 layers::Tanh<double>>;

static_assert(Module<Block>);
static_assert(Module<Tower>);
static_assert(Module<layers::Sequential<Block, layers::Linear<double>>>);
static_assert(std::is_same_v<Block::input_type, Tensor<double>>);
static_assert(std::is_same_v<Tower::input_type, Tensor<index_t>>);
static_assert(std::is_same_v<Block::scalar_type, double>);
static_assert(std::is_same_v<decltype(std::declval<Block&>().backward(Tensor<double>{})),
                             Tensor<double>>);
static_assert(std::is_void_v<decltype(std::declval<Tower&>().backward(Tensor<double>{}))>);
static_assert(Block::size() == 3);

namespace {

Block make_block(Rng& rng) {
  return Block(layers::Linear<double>(4, 5, rng), layers::GELU<double>(),
               layers::LayerNorm<double>(5));
}

std::vector<std::string> names_of(auto& module, const std::string& prefix = {}) {
  std::vector<std::string> names;
  for (auto& p : collect_parameters(module, prefix)) names.push_back(p.name);
  return names;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(layers_sequential)

BOOST_AUTO_TEST_CASE(forward_chains_the_modules) {
  Rng rng(1);
  Block block = make_block(rng);
  Tensor<double> x(Shape{3, 4});
  fill_uniform(x, -1.0, 1.0, rng);
  Tensor<double> y = block.forward(x);
  Tensor<double> expected =
      block.get<2>().forward(block.get<1>().forward(block.get<0>().forward(x)));
  BOOST_REQUIRE(y.shape() == (Shape{3, 5}));
  BOOST_TEST(y.to_vector() == expected.to_vector(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(2);
  Block block = make_block(rng);
  fill_uniform(block.get<2>().weight().value, 0.5, 1.5, rng);
  fill_uniform(block.get<2>().bias().value, -0.5, 0.5, rng);
  Tensor<double> x(Shape{2, 3, 4});
  fill_uniform(x, -1.0, 1.0, rng);
  adaptrec_test::check_module_gradients(block, x, rng);
}

BOOST_AUTO_TEST_CASE(nested_sequential_gradients) {
  Rng rng(3);
  layers::Sequential<Block, layers::Linear<double>> net(make_block(rng),
                                                        layers::Linear<double>(5, 2, rng));
  Tensor<double> x(Shape{3, 4});
  fill_uniform(x, -1.0, 1.0, rng);
  adaptrec_test::check_module_gradients(net, x, rng);
  BOOST_TEST(names_of(net) == (std::vector<std::string>{"0.0.weight", "0.0.bias", "0.2.weight",
                                                        "0.2.bias", "1.weight", "1.bias"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ids_first_module_returns_no_input_gradient) {
  Rng rng(4);
  Tower tower(layers::Embedding<double>(6, 3, rng), layers::Linear<double>(3, 2, rng),
              layers::Tanh<double>());
  Tensor<index_t> ids(Shape{2, 3}, {0, 5, 2, 2, 1, 5});
  BOOST_TEST((tower.forward(ids).shape() == (Shape{2, 3, 2})));
  adaptrec_test::check_module_gradients(tower, ids, rng);
  BOOST_TEST(tower.get<0>().weight().touched_rows == (std::vector<index_t>{0, 1, 2, 5}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(children_are_named_by_position) {
  Rng rng(5);
  Block block = make_block(rng);
  BOOST_TEST(names_of(block) ==
                 (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}),
             boost::test_tools::per_element());
  BOOST_TEST(names_of(block, "mlp").front() == "mlp.0.weight");
}

BOOST_AUTO_TEST_CASE(train_and_eval_reach_every_module) {
  Rng rng(6);
  layers::Sequential<layers::Linear<double>, layers::Dropout<double>> net(
      layers::Linear<double>(4, 8, rng), layers::Dropout<double>(0.5, 1));
  Tensor<double> x(Shape{2, 4});
  fill_uniform(x, -1.0, 1.0, rng);
  net.eval();
  BOOST_TEST(!net.is_training());
  BOOST_TEST(!net.get<0>().is_training());
  BOOST_TEST(!net.get<1>().is_training());
  BOOST_TEST(net.forward(x).to_vector() == net.get<0>().forward(x).to_vector(),
             boost::test_tools::per_element());
  net.train(true);
  BOOST_TEST(net.get<1>().is_training());
}

BOOST_AUTO_TEST_CASE(errors_surface_from_the_failing_module) {
  Rng rng(7);
  Block block = make_block(rng);
  try {
    block.forward(Tensor<double>(Shape{2, 7}));
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("[2, 7]") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
