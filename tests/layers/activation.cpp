#include <adaptrec/layers/activation.hpp>

#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <string>

using namespace adaptrec;

static_assert(Module<layers::ReLU<double>>);
static_assert(Module<layers::GELU<double>>);
static_assert(Module<layers::Tanh<double>>);
static_assert(Module<layers::Sigmoid<float>>);
static_assert(Module<layers::Identity<float>>);
static_assert(Module<layers::DynamicActivation<double>>);

namespace {

// Inputs kept at least 0.05 away from ReLU's kink, so central differences are exact there.
Tensor<double> test_input(Rng& rng) {
  Tensor<double> x(Shape{3, 2, 4});
  fill_uniform(x, -3.0, 3.0, rng);
  for (double& v : x)
    if (std::abs(v) < 0.05) v += 0.1;
  return x;
}

template <class M>
void check_forward(M& module, const std::function<double(double)>& reference, Rng& rng) {
  Tensor<double> x = test_input(rng);
  Tensor<double> y = module.forward(x);
  BOOST_REQUIRE(y.shape() == x.shape());
  for (index_t i = 0; i < x.size(); ++i)
    BOOST_TEST(y[i] == reference(x[i]), boost::test_tools::tolerance(1e-14));
}

double gelu_reference(double x) { return x * 0.5 * (1 + std::erf(x / std::sqrt(2.0))); }
double sigmoid_reference(double x) { return 1 / (1 + std::exp(-x)); }
double relu_reference(double x) { return x > 0 ? x : 0; }

}  // namespace

BOOST_AUTO_TEST_SUITE(layers_activation)

BOOST_AUTO_TEST_CASE(forward_matches_the_definitions) {
  Rng rng(1);
  layers::ReLU<double> relu;
  layers::GELU<double> gelu;
  layers::Tanh<double> tanh_layer;
  layers::Sigmoid<double> sigmoid;
  layers::Identity<double> identity;
  check_forward(relu, relu_reference, rng);
  check_forward(gelu, gelu_reference, rng);
  check_forward(tanh_layer, [](double x) { return std::tanh(x); }, rng);
  check_forward(sigmoid, sigmoid_reference, rng);
  check_forward(identity, [](double x) { return x; }, rng);
}

BOOST_AUTO_TEST_CASE(sigmoid_saturates_without_overflow) {
  layers::Sigmoid<float> sigmoid;
  Tensor<float> y = sigmoid.forward(Tensor<float>(Shape{2}, {-1000.0f, 1000.0f}));
  BOOST_TEST(y[0] == 0.0f);
  BOOST_TEST(y[1] == 1.0f);
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(2);
  layers::ReLU<double> relu;
  layers::GELU<double> gelu;
  layers::Tanh<double> tanh_layer;
  layers::Sigmoid<double> sigmoid;
  adaptrec_test::check_module_gradients(relu, test_input(rng), rng);
  adaptrec_test::check_module_gradients(gelu, test_input(rng), rng);
  adaptrec_test::check_module_gradients(tanh_layer, test_input(rng), rng);
  adaptrec_test::check_module_gradients(sigmoid, test_input(rng), rng);
}

BOOST_AUTO_TEST_CASE(dynamic_activation_follows_its_kind) {
  Rng rng(3);
  for (auto kind : {backend::Activation::identity, backend::Activation::relu,
                    backend::Activation::gelu, backend::Activation::tanh,
                    backend::Activation::sigmoid}) {
    layers::DynamicActivation<double> act(kind);
    BOOST_TEST((act.kind() == kind));
    check_forward(act, [kind](double x) { return backend::cpu::activate(kind, x); }, rng);
    adaptrec_test::check_module_gradients(act, test_input(rng), rng);
  }
}

BOOST_AUTO_TEST_CASE(has_no_parameters) {
  layers::GELU<float> gelu;
  layers::DynamicActivation<float> act(backend::Activation::tanh);
  BOOST_TEST(count_parameters(gelu).total == 0u);
  BOOST_TEST(count_parameters(act).total == 0u);
}

BOOST_AUTO_TEST_CASE(wrong_gradient_shape_names_the_shape) {
  layers::Tanh<float> tanh_layer;
  tanh_layer.forward(Tensor<float>(Shape{2, 3}));
  try {
    tanh_layer.backward(Tensor<float>(Shape{3, 2}));
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("[3, 2]") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("tanh") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
