#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/core/threads.hpp>

#include <support/random_tensor.hpp>
#include <support/thread_count.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <tuple>
#include <string>
#include <vector>

using namespace adaptrec;
using backend::Activation;
using adaptrec_test::random_tensor;
using adaptrec_test::ThreadCount;

namespace {

using scalar_types = std::tuple<float, double>;

// Per-element tolerance relative to max(1, |exact|): a few ulps of the type.
template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 2e-6 : 1e-14;

const std::vector<Activation> all_activations = {Activation::identity, Activation::relu,
                                                 Activation::gelu, Activation::gelu_tanh,
                                                 Activation::tanh, Activation::sigmoid};

// The argument of tanh in the tanh approximation of GELU (Hendrycks & Gimpel, 2016).
double gelu_tanh_inner(double x) {
  const double pi = 3.14159265358979323846;
  return std::sqrt(2 / pi) * (x + 0.044715 * x * x * x);
}

double reference_activation(Activation a, double x) {
  switch (a) {
    case Activation::identity: return x;
    case Activation::relu: return x > 0 ? x : 0;
    case Activation::gelu: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case Activation::gelu_tanh: return 0.5 * x * (1 + std::tanh(gelu_tanh_inner(x)));
    case Activation::tanh: return std::tanh(x);
    case Activation::sigmoid: return 1 / (1 + std::exp(-x));
  }
  return std::numeric_limits<double>::quiet_NaN();
}

double reference_derivative(Activation a, double x) {
  const double pi = 3.14159265358979323846;
  switch (a) {
    case Activation::identity: return 1;
    case Activation::relu: return x > 0 ? 1 : 0;
    case Activation::gelu:  // d/dx x Phi(x) = Phi(x) + x phi(x)
      return 0.5 * (1 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-0.5 * x * x) / std::sqrt(2 * pi);
    case Activation::gelu_tanh: {  // d/dx 0.5 x (1 + tanh(u(x)))
      const double t = std::tanh(gelu_tanh_inner(x));
      const double du = std::sqrt(2 / pi) * (1 + 3 * 0.044715 * x * x);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
    }
    case Activation::tanh: return 1 - std::tanh(x) * std::tanh(x);
    case Activation::sigmoid: {
      const double s = 1 / (1 + std::exp(-x));
      return s * (1 - s);
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

void check_close(double got, double exact, double tol) {
  BOOST_TEST(std::abs(got - exact) <= tol * std::max(1.0, std::abs(exact)),
             got << " vs exact " << exact);
}

// Runs `kernel` (which writes its result into the tensor it returns) with one
// and with two threads; the outputs must be bit-identical, since each element
// is computed by the same arithmetic whichever thread owns it.
template <class Kernel>
void check_thread_count_does_not_change(const char* what, Kernel kernel) {
  Tensor<float> serial, threaded;
  {
    ThreadCount one(1);
    serial = kernel();
  }
  {
    ThreadCount two(2);
    threaded = kernel();
  }
  BOOST_TEST_CONTEXT(what) {
    BOOST_REQUIRE(serial.shape() == threaded.shape());
    BOOST_TEST(std::memcmp(serial.data(), threaded.data(), serial.bytes()) == 0);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_elementwise)

BOOST_AUTO_TEST_CASE(activation_names) {
  BOOST_TEST(std::string(backend::to_string(Activation::gelu)) == "gelu");
  BOOST_TEST(std::string(backend::to_string(Activation::sigmoid)) == "sigmoid");
  BOOST_TEST(std::string(backend::to_string(Activation::identity)) == "identity");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(activations_match_double_reference, T, scalar_types) {
  Rng rng(201);
  const Tensor<T> x = random_tensor<T>(Shape{7, 33}, rng, T(-6), T(6));
  for (Activation a : all_activations) {
    Tensor<T> y(x.shape());
    backend::activation_forward(a, x, y);
    BOOST_TEST_CONTEXT(backend::to_string(a)) {
      for (index_t i = 0; i < x.size(); ++i)
        check_close(double(y[i]), reference_activation(a, double(x[i])), tolerance<T>);
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(activation_derivatives_match_double_reference, T, scalar_types) {
  Rng rng(202);
  const Tensor<T> x = random_tensor<T>(Shape{5, 29}, rng, T(-6), T(6));
  const Tensor<T> dy = random_tensor<T>(x.shape(), rng);
  for (Activation a : all_activations) {
    Tensor<T> y(x.shape()), dx(x.shape());
    backend::activation_forward(a, x, y);
    backend::activation_backward(a, x, y, dy, dx);
    BOOST_TEST_CONTEXT(backend::to_string(a)) {
      for (index_t i = 0; i < x.size(); ++i)
        check_close(double(dx[i]), double(dy[i]) * reference_derivative(a, double(x[i])),
                    4 * tolerance<T>);
    }
  }
}

// Large enough (6400 elements) for the oneDNN backend's eltwise primitive,
// which takes the GELUs from 4096 elements up; extreme inputs included.
BOOST_AUTO_TEST_CASE(large_float_activations_match_double_reference) {
  Rng rng(204);
  Tensor<float> x = random_tensor<float>(Shape{64, 100}, rng, -8.0f, 8.0f);
  const float extremes[] = {-1000.f, 1000.f, -88.f, 88.f, -10.f, 10.f, 0.f, -0.f};
  for (std::size_t i = 0; i < std::size(extremes); ++i) x[static_cast<index_t>(i)] = extremes[i];
  const Tensor<float> dy = random_tensor<float>(x.shape(), rng);
  for (Activation a : all_activations) {
    Tensor<float> y = Tensor<float>::full(x.shape(), std::nanf("")), dx = y;
    backend::activation_forward(a, x, y);
    backend::activation_backward(a, x, y, dy, dx);
    BOOST_TEST_CONTEXT(backend::to_string(a)) {
      for (index_t i = 0; i < x.size(); ++i) {
        check_close(double(y[i]), reference_activation(a, double(x[i])), tolerance<float>);
        check_close(double(dx[i]), double(dy[i]) * reference_derivative(a, double(x[i])),
                    4 * tolerance<float>);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(activation_derivatives_match_finite_differences) {
  Rng rng(203);
  Tensor<double> x = random_tensor<double>(Shape{4, 25}, rng, -4.0, 4.0);
  for (double& v : x)  // keep relu's kink out of the central difference
    if (std::abs(v) < 1e-3) v = 0.5;
  const Tensor<double> dy = random_tensor<double>(x.shape(), rng);
  const double h = 1e-6;
  for (Activation a : all_activations) {
    Tensor<double> y(x.shape()), dx(x.shape());
    backend::activation_forward(a, x, y);
    backend::activation_backward(a, x, y, dy, dx);
    Tensor<double> x_up = x, x_down = x, y_up(x.shape()), y_down(x.shape());
    for (double& v : x_up) v += h;
    for (double& v : x_down) v -= h;
    backend::activation_forward(a, x_up, y_up);
    backend::activation_forward(a, x_down, y_down);
    BOOST_TEST_CONTEXT(backend::to_string(a)) {
      for (index_t i = 0; i < x.size(); ++i)
        check_close(dx[i], dy[i] * (y_up[i] - y_down[i]) / (2 * h), 1e-7);
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(activations_stay_finite_at_extreme_inputs, T, scalar_types) {
  const Tensor<T> x(Shape{4}, {T(-1000), T(1000), T(-88), T(88)});
  for (Activation a : all_activations) {
    Tensor<T> y(x.shape()), dx(x.shape());
    backend::activation_forward(a, x, y);
    backend::activation_backward(a, x, y, Tensor<T>::full(x.shape(), T(1)), dx);
    BOOST_TEST_CONTEXT(backend::to_string(a)) {
      for (index_t i = 0; i < x.size(); ++i) {
        BOOST_TEST(std::isfinite(y[i]));
        BOOST_TEST(std::isfinite(dx[i]));
      }
    }
  }
  Tensor<T> s(x.shape());
  backend::activation_forward(Activation::sigmoid, x, s);
  BOOST_TEST(s[0] == T(0));
  BOOST_TEST(s[1] == T(1));
  BOOST_TEST(backend::cpu::sigmoid(T(-1000)) == T(0));
  BOOST_TEST(backend::cpu::sigmoid(T(1000)) == T(1));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(add_row_vector_adds_bias_to_every_row, T, scalar_types) {
  Rng rng(204);
  const Tensor<T> y0 = random_tensor<T>(Shape{3, 7, 33}, rng);
  const Tensor<T> bias = random_tensor<T>(Shape{33}, rng);
  Tensor<T> y = y0;
  backend::add_row_vector(y, bias);
  for (index_t r = 0; r < 21; ++r)
    for (index_t c = 0; c < 33; ++c)
      check_close(double(y[r * 33 + c]), double(y0[r * 33 + c]) + double(bias[c]), tolerance<T>);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(accumulate_column_sums_adds_to_out, T, scalar_types) {
  Rng rng(205);
  const Tensor<T> x = random_tensor<T>(Shape{129, 7}, rng);
  const Tensor<T> out0 = random_tensor<T>(Shape{7}, rng);
  Tensor<T> out = out0;
  backend::accumulate_column_sums(x, out);
  for (index_t c = 0; c < 7; ++c) {
    double sum = double(out0[c]), magnitude = std::abs(double(out0[c]));
    for (index_t r = 0; r < 129; ++r) {
      sum += double(x(r, c));
      magnitude += std::abs(double(x(r, c)));
    }
    // Rounding of a 130-term sum is bounded by its magnitude (Higham, section 4.2).
    BOOST_TEST(std::abs(double(out[c]) - sum) <= tolerance<T> * magnitude);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(axpy_scale_and_multiply, T, scalar_types) {
  Rng rng(206);
  const Tensor<T> x = random_tensor<T>(Shape{2, 3, 33}, rng);
  const Tensor<T> y0 = random_tensor<T>(Shape{198}, rng);  // sizes, not shapes, must agree

  Tensor<T> y = y0;
  backend::axpy(T(-0.75), x, y);
  for (index_t i = 0; i < y.size(); ++i)
    check_close(double(y[i]), double(y0[i]) + double(T(-0.75)) * double(x[i]), tolerance<T>);

  Tensor<T> scaled = x;
  backend::scale(scaled, T(3));
  for (index_t i = 0; i < x.size(); ++i)
    check_close(double(scaled[i]), 3.0 * double(x[i]), tolerance<T>);

  Tensor<T> product(Shape{198});
  backend::multiply(x, y0, product);
  for (index_t i = 0; i < x.size(); ++i)
    check_close(double(product[i]), double(x[i]) * double(y0[i]), tolerance<T>);

  Tensor<T> in_place = y0;  // out may alias an input
  backend::multiply(in_place, y0, in_place);
  for (index_t i = 0; i < y0.size(); ++i)
    check_close(double(in_place[i]), double(y0[i]) * double(y0[i]), tolerance<T>);
}

BOOST_AUTO_TEST_CASE(one_and_two_threads_give_identical_results) {
  // 257 x 389 = 99973 elements: above the parallel grain, and not a multiple of
  // any block size.
  Rng rng(207);
  const Tensor<float> x = random_tensor<float>(Shape{257, 389}, rng, -5.0f, 5.0f);
  const Tensor<float> other = random_tensor<float>(x.shape(), rng);
  const Tensor<float> bias = random_tensor<float>(Shape{389}, rng);
  for (Activation a : all_activations) {
    check_thread_count_does_not_change(backend::to_string(a), [&] {
      Tensor<float> y(x.shape());
      backend::activation_forward(a, x, y);
      return y;
    });
    check_thread_count_does_not_change(backend::to_string(a), [&] {
      Tensor<float> y(x.shape()), dx(x.shape());
      backend::activation_forward(a, x, y);
      backend::activation_backward(a, x, y, other, dx);
      return dx;
    });
  }
  check_thread_count_does_not_change("add_row_vector", [&] {
    Tensor<float> y = x;
    backend::add_row_vector(y, bias);
    return y;
  });
  check_thread_count_does_not_change("accumulate_column_sums", [&] {
    Tensor<float> out = bias;
    backend::accumulate_column_sums(x, out);
    return out;
  });
  check_thread_count_does_not_change("axpy", [&] {
    Tensor<float> y = other;
    backend::axpy(0.3f, x, y);
    return y;
  });
  check_thread_count_does_not_change("scale", [&] {
    Tensor<float> y = x;
    backend::scale(y, -1.7f);
    return y;
  });
  check_thread_count_does_not_change("multiply", [&] {
    Tensor<float> y(x.shape());
    backend::multiply(x, other, y);
    return y;
  });
}

BOOST_AUTO_TEST_SUITE_END()
