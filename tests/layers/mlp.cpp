#include <adaptrec/layers/mlp.hpp>

#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace adaptrec;

static_assert(Module<layers::MLP<double>>);
static_assert(Module<layers::MLP<float>>);

namespace {

std::vector<std::string> names_of(layers::MLP<double>& mlp, const std::string& prefix = {}) {
  std::vector<std::string> names;
  for (auto& p : collect_parameters(mlp, prefix)) names.push_back(p.name);
  return names;
}

// Plain-loop reference of one sample through the MLP's own weights.
std::vector<double> reference(layers::MLP<double>& mlp, std::vector<double> h, bool activate_last) {
  for (std::size_t l = 0; l < mlp.num_linear(); ++l) {
    layers::Linear<double>& lin = mlp.linear(l);
    std::vector<double> next(static_cast<std::size_t>(lin.out_features()));
    for (index_t o = 0; o < lin.out_features(); ++o) {
      double s = lin.bias().value[o];
      for (index_t i = 0; i < lin.in_features(); ++i)
        s += lin.weight().value(o, i) * h[static_cast<std::size_t>(i)];
      next[static_cast<std::size_t>(o)] = s;
    }
    if (l + 1 < mlp.num_linear() || activate_last)
      for (double& v : next) v = std::tanh(v);
    h = next;
  }
  return h;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(layers_mlp)

BOOST_AUTO_TEST_CASE(parameter_names_follow_pytorch_sequential_indices) {
  Rng rng(1);
  layers::MLP<double> plain({8, 6, 4, 1}, rng);
  BOOST_TEST(names_of(plain) == (std::vector<std::string>{"0.weight", "0.bias", "2.weight",
                                                          "2.bias", "4.weight", "4.bias"}),
             boost::test_tools::per_element());
  layers::MLP<double> dropped({8, 6, 4, 1}, rng, backend::Activation::relu, 0.1, 7);
  BOOST_TEST(names_of(dropped, "mlp") ==
                 (std::vector<std::string>{"mlp.0.weight", "mlp.0.bias", "mlp.3.weight",
                                           "mlp.3.bias", "mlp.6.weight", "mlp.6.bias"}),
             boost::test_tools::per_element());
  BOOST_TEST(plain.in_features() == 8);
  BOOST_TEST(plain.out_features() == 1);
  BOOST_TEST(plain.num_linear() == 3u);
  BOOST_TEST(count_parameters(plain).total == 8u * 6 + 6 + 6 * 4 + 4 + 4 + 1);
}

BOOST_AUTO_TEST_CASE(forward_matches_a_plain_loop) {
  Rng rng(2);
  for (bool activate_last : {false, true}) {
    layers::MLP<double> mlp({3, 5, 2}, rng, backend::Activation::tanh, 0.0, 0, activate_last);
    Tensor<double> x(Shape{4, 3});
    fill_uniform(x, -1.0, 1.0, rng);
    Tensor<double> y = mlp.forward(x);
    BOOST_REQUIRE(y.shape() == (Shape{4, 2}));
    for (index_t n = 0; n < 4; ++n) {
      std::vector<double> expected = reference(mlp, {x(n, 0), x(n, 1), x(n, 2)}, activate_last);
      for (index_t o = 0; o < 2; ++o)
        BOOST_TEST(y(n, o) == expected[static_cast<std::size_t>(o)],
                   boost::test_tools::tolerance(1e-12));
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_without_dropout) {
  Rng rng(3);
  layers::MLP<double> mlp({4, 6, 5, 3}, rng, backend::Activation::gelu);
  Tensor<double> x(Shape{2, 3, 4});
  fill_uniform(x, -1.0, 1.0, rng);
  adaptrec_test::check_module_gradients(mlp, x, rng);
}

BOOST_AUTO_TEST_CASE(gradients_with_dropout_and_a_fixed_mask) {
  Rng rng(4);
  layers::MLP<double> mlp({4, 6, 5, 3}, rng, backend::Activation::tanh, 0.3, 11, true);
  Tensor<double> x(Shape{5, 4});
  fill_uniform(x, -1.0, 1.0, rng);
  adaptrec_test::check_module_gradients(mlp, x, rng, adaptrec_test::fd_tolerance,
                                        [&] { mlp.reseed(11); });
}

BOOST_AUTO_TEST_CASE(dropout_only_in_training) {
  Rng rng(5);
  layers::MLP<double> mlp({3, 16, 2}, rng, backend::Activation::tanh, 0.5, 3);
  Tensor<double> x(Shape{4, 3});
  fill_uniform(x, -1.0, 1.0, rng);
  const std::vector<double> train_a = mlp.forward(x).to_vector();
  const std::vector<double> train_b = mlp.forward(x).to_vector();
  BOOST_TEST((train_a != train_b));
  mlp.eval();
  BOOST_TEST(!mlp.is_training());
  Tensor<double> y = mlp.forward(x);
  for (index_t n = 0; n < 4; ++n) {
    std::vector<double> expected = reference(mlp, {x(n, 0), x(n, 1), x(n, 2)}, false);
    for (index_t o = 0; o < 2; ++o)
      BOOST_TEST(y(n, o) == expected[static_cast<std::size_t>(o)],
                 boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(invalid_configurations_throw) {
  Rng rng(6);
  BOOST_CHECK_THROW(layers::MLP<float>({4}, rng), invalid_argument);
  BOOST_CHECK_THROW(layers::MLP<float>({4, 0, 2}, rng), invalid_argument);
  BOOST_CHECK_THROW(layers::MLP<float>({4, 2}, rng, backend::Activation::relu, 1.0f),
                    invalid_argument);
  BOOST_CHECK_THROW(layers::MLP<float>({4, 2}, rng, backend::Activation::relu, -0.5f),
                    invalid_argument);
}

BOOST_AUTO_TEST_CASE(wrong_input_width_names_the_shape) {
  Rng rng(7);
  layers::MLP<float> mlp({4, 3, 2}, rng);
  try {
    mlp.forward(Tensor<float>(Shape{2, 5}));
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("[2, 5]") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
