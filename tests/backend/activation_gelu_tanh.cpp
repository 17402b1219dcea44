#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>

#include <support/expect_throw.hpp>
#include <support/random_tensor.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <tuple>

using namespace adaptrec;
using backend::Activation;
using adaptrec_test::random_tensor;

namespace {

using scalar_types = std::tuple<float, double>;

template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 2e-6 : 1e-14;

const double pi = 3.14159265358979323846;

// Hendrycks & Gimpel (2016), sec. 2: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
double reference_gelu_tanh(double x) {
  return 0.5 * x * (1 + std::tanh(std::sqrt(2 / pi) * (x + 0.044715 * x * x * x)));
}

double reference_gelu_tanh_derivative(double x) {
  const double t = std::tanh(std::sqrt(2 / pi) * (x + 0.044715 * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * std::sqrt(2 / pi) * (1 + 3 * 0.044715 * x * x);
}

void check_close(double got, double exact, double tol) {
  BOOST_TEST(std::abs(got - exact) <= tol * std::max(1.0, std::abs(exact)),
             got << " vs exact " << exact);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_activation_gelu_tanh)

BOOST_AUTO_TEST_CASE_TEMPLATE(forward_and_derivative_match_double_reference, T, scalar_types) {
  Rng rng(901);
  const Tensor<T> x = random_tensor<T>(Shape{6, 37}, rng, T(-6), T(6));
  const Tensor<T> dy = random_tensor<T>(x.shape(), rng);
  Tensor<T> y(x.shape()), dx(x.shape());
  backend::activation_forward(Activation::gelu_tanh, x, y);
  backend::activation_backward(Activation::gelu_tanh, x, y, dy, dx);
  for (index_t i = 0; i < x.size(); ++i) {
    check_close(double(y[i]), reference_gelu_tanh(double(x[i])), tolerance<T>);
    check_close(double(dx[i]), double(dy[i]) * reference_gelu_tanh_derivative(double(x[i])),
                4 * tolerance<T>);
  }
}

BOOST_AUTO_TEST_CASE(derivative_matches_finite_differences) {
  Rng rng(902);
  const Tensor<double> x = random_tensor<double>(Shape{3, 41}, rng, -5.0, 5.0);
  const double h = 1e-6;
  for (index_t i = 0; i < x.size(); ++i) {
    const double numeric =
        (backend::cpu::gelu_tanh(x[i] + h) - backend::cpu::gelu_tanh(x[i] - h)) / (2 * h);
    check_close(backend::cpu::gelu_tanh_derivative(x[i]), numeric, 1e-8);
  }
}

BOOST_AUTO_TEST_CASE(stays_close_to_the_erf_form) {
  // The tanh form approximates x Phi(x) to within about 5e-4 everywhere.
  for (double x = -8; x <= 8; x += 0.01)
    BOOST_TEST(std::abs(backend::cpu::gelu_tanh(x) - backend::cpu::gelu(x)) < 5e-4);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(finite_at_extreme_inputs, T, scalar_types) {
  const Tensor<T> x(Shape{4}, {T(-1000), T(1000), T(-88), T(88)});
  Tensor<T> y(x.shape()), dx(x.shape());
  backend::activation_forward(Activation::gelu_tanh, x, y);
  backend::activation_backward(Activation::gelu_tanh, x, y, Tensor<T>::full(x.shape(), T(1)), dx);
  for (index_t i = 0; i < x.size(); ++i) {
    BOOST_TEST(std::isfinite(y[i]));
    BOOST_TEST(std::isfinite(dx[i]));
  }
  BOOST_TEST(y[0] == T(0));
  BOOST_TEST(y[1] == T(1000));
  BOOST_TEST(dx[0] == T(0));
  BOOST_TEST(dx[1] == T(1));
}

BOOST_AUTO_TEST_CASE(hugging_face_names_map_to_activations) {
  BOOST_TEST(std::string(backend::to_string(Activation::gelu_tanh)) == "gelu_tanh");
  BOOST_TEST((backend::activation_from_name("gelu") == Activation::gelu));
  BOOST_TEST((backend::activation_from_name("gelu_python") == Activation::gelu));
  BOOST_TEST((backend::activation_from_name("gelu_new") == Activation::gelu_tanh));
  BOOST_TEST((backend::activation_from_name("gelu_pytorch_tanh") == Activation::gelu_tanh));
  BOOST_TEST((backend::activation_from_name("gelu_fast") == Activation::gelu_tanh));
  BOOST_TEST((backend::activation_from_name("relu") == Activation::relu));
  BOOST_TEST((backend::activation_from_name("tanh") == Activation::tanh));
  BOOST_TEST((backend::activation_from_name("sigmoid") == Activation::sigmoid));
  BOOST_TEST((backend::activation_from_name("linear") == Activation::identity));
  // Every to_string name reads back as itself.
  for (Activation a : {Activation::identity, Activation::relu, Activation::gelu,
                       Activation::gelu_tanh, Activation::tanh, Activation::sigmoid})
    BOOST_TEST((backend::activation_from_name(backend::to_string(a)) == a), backend::to_string(a));
}

BOOST_AUTO_TEST_CASE(unknown_name_is_named_in_the_error) {
  adaptrec_test::require_throw_naming<invalid_argument>(
      [] { backend::activation_from_name("swish"); }, {"activation_from_name", "'swish'"});
  adaptrec_test::require_throw_naming<invalid_argument>(
      [] { backend::activation_from_name("GELU"); }, {"'GELU'", "gelu_new"});
  adaptrec_test::require_throw_naming<invalid_argument>(
      [] { backend::activation_from_name(""); }, {"''"});
}

BOOST_AUTO_TEST_SUITE_END()
