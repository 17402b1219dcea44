#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/core/threads.hpp>

#include <support/gradient_check.hpp>
#include <support/random_tensor.hpp>
#include <support/thread_count.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <tuple>
#include <vector>

using namespace adaptrec;
using adaptrec_test::random_tensor;
using adaptrec_test::ThreadCount;

namespace {

using scalar_types = std::tuple<float, double>;

template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 2e-6 : 1e-14;

// log softmax of one row in double, shifted by the row maximum.
std::vector<double> reference_log_softmax(const std::vector<double>& x) {
  double max = -std::numeric_limits<double>::infinity();
  for (double v : x) max = std::max(max, v);
  double sum = 0;
  for (double v : x) sum += std::exp(v - max);
  std::vector<double> out;
  for (double v : x) out.push_back(v - max - std::log(sum));
  return out;
}

template <class T>
std::vector<double> row(const Tensor<T>& t, index_t r) {
  const index_t cols = t.cols();
  return std::vector<double>(t.data() + r * cols, t.data() + (r + 1) * cols);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_softmax)

BOOST_AUTO_TEST_CASE_TEMPLATE(softmax_matches_double_reference, T, scalar_types) {
  Rng rng(301);
  for (index_t cols : {1, 7, 33, 129}) {
    const Tensor<T> x = random_tensor<T>(Shape{2, 3, cols}, rng, T(-8), T(8));
    Tensor<T> y(x.shape()), log_y(x.shape());
    backend::softmax(x, y);
    backend::log_softmax(x, log_y);
    for (index_t r = 0; r < x.rows(); ++r) {
      const std::vector<double> exact = reference_log_softmax(row(x, r));
      double sum = 0;
      BOOST_TEST_CONTEXT("cols " << cols << " row " << r) {
        for (index_t c = 0; c < cols; ++c) {
          const double p = double(y[r * cols + c]);
          sum += p;
          BOOST_TEST(std::abs(p - std::exp(exact[c])) <= tolerance<T> * std::exp(exact[c]));
          BOOST_TEST(std::abs(double(log_y[r * cols + c]) - exact[c]) <=
                     tolerance<T> * std::max(1.0, std::abs(exact[c])));
        }
        BOOST_TEST(std::abs(sum - 1.0) <= 4 * tolerance<T>);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(large_inputs_are_stable, T, scalar_types) {
  const Tensor<T> x(Shape{3, 3}, {T(1e4), T(1e4 - 1), T(-1e4),     //
                                  T(-1e4), T(-1e4), T(-1e4 + 2),   //
                                  T(1e4), T(-1e4), T(1e4)});
  Tensor<T> y(x.shape()), log_y(x.shape());
  backend::softmax(x, y);
  backend::log_softmax(x, log_y);
  for (T v : y) BOOST_TEST(std::isfinite(v));
  for (T v : log_y) BOOST_TEST(!std::isnan(v));
  const double e = std::exp(-1.0), e2 = std::exp(-2.0);
  const std::vector<double> expected = {1 / (1 + e), e / (1 + e), 0,              //
                                        e2 / (1 + 2 * e2), e2 / (1 + 2 * e2), 1 / (1 + 2 * e2),  //
                                        0.5, 0, 0.5};
  for (index_t i = 0; i < 9; ++i)
    BOOST_TEST(std::abs(double(y[i]) - expected[i]) <= 4 * tolerance<T>);
  BOOST_TEST(std::abs(double(log_y[0]) - std::log(1 / (1 + e))) <= 1e-6);
  BOOST_TEST(std::abs(double(log_y[2]) - (-2e4 - std::log(1 + e))) <= 1e-6 * 2e4);
  BOOST_TEST(std::abs(double(log_y[6]) - std::log(0.5)) <= 1e-6);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(masked_entries_get_zero_probability, T, scalar_types) {
  const T inf = std::numeric_limits<T>::infinity();
  const Tensor<T> x(Shape{2, 4}, {T(0.5), -inf, T(2), -inf,  //
                                  -inf, -inf, -inf, -inf});
  Tensor<T> y(x.shape());
  y.fill(std::numeric_limits<T>::quiet_NaN());  // every output element must be written
  backend::softmax(x, y);
  const double p = 1 / (1 + std::exp(1.5));
  BOOST_TEST(std::abs(double(y[0]) - p) <= tolerance<T>);
  BOOST_TEST(y[1] == T(0));
  BOOST_TEST(std::abs(double(y[2]) - (1 - p)) <= tolerance<T>);
  BOOST_TEST(y[3] == T(0));
  // A fully masked row (a padded query with no key to attend to) is all zeros.
  for (index_t c = 4; c < 8; ++c) BOOST_TEST(y[c] == T(0));

  Tensor<T> log_y(Shape{1, 4});
  backend::log_softmax(Tensor<T>(Shape{1, 4}, {T(0.5), -inf, T(2), -inf}), log_y);
  BOOST_TEST(std::abs(double(log_y[0]) - std::log(p)) <= tolerance<T> * 2);
  BOOST_TEST(log_y[1] == -inf);
}

BOOST_AUTO_TEST_CASE(log_softmax_agrees_with_log_of_softmax) {
  Rng rng(302);
  const Tensor<double> x = random_tensor<double>(Shape{5, 17}, rng, -20.0, 20.0);
  Tensor<double> y(x.shape()), log_y(x.shape());
  backend::softmax(x, y);
  backend::log_softmax(x, log_y);
  for (index_t i = 0; i < x.size(); ++i)
    BOOST_TEST(log_y[i] == std::log(y[i]), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(softmax_backward_matches_finite_differences) {
  Rng rng(303);
  Tensor<double> x = random_tensor<double>(Shape{2, 3, 7}, rng, -3.0, 3.0);
  const Tensor<double> r = random_tensor<double>(x.shape(), rng);
  auto loss = [&] {
    Tensor<double> y(x.shape());
    backend::softmax(x, y);
    return adaptrec_test::inner(y, r);
  };
  Tensor<double> y(x.shape()), dx(x.shape());
  backend::softmax(x, y);
  backend::softmax_backward(y, r, dx);
  adaptrec_test::compare(dx, adaptrec_test::numeric_gradient(x, loss), "softmax dx");

  // In place (dx aliasing dy), as attention_backward uses it.
  Tensor<double> in_place = r;
  backend::softmax_backward(y, in_place, in_place);
  for (index_t i = 0; i < dx.size(); ++i) BOOST_TEST(in_place[i] == dx[i]);
}

BOOST_AUTO_TEST_CASE(softmax_backward_of_float_matches_double_formula) {
  Rng rng(304);
  const Tensor<float> x = random_tensor<float>(Shape{4, 33}, rng, -4.0f, 4.0f);
  const Tensor<float> dy = random_tensor<float>(x.shape(), rng);
  Tensor<float> y(x.shape()), dx(x.shape());
  backend::softmax(x, y);
  backend::softmax_backward(y, dy, dx);
  for (index_t r = 0; r < 4; ++r) {
    double dot = 0;
    for (index_t c = 0; c < 33; ++c) dot += double(dy(r, c)) * double(y(r, c));
    for (index_t c = 0; c < 33; ++c) {
      const double exact = double(y(r, c)) * (double(dy(r, c)) - dot);
      BOOST_TEST(std::abs(double(dx(r, c)) - exact) <= 1e-6 * std::max(double(y(r, c)), 1e-3));
    }
  }
}

BOOST_AUTO_TEST_CASE(one_and_two_threads_give_identical_results) {
  Rng rng(305);
  const Tensor<float> x = random_tensor<float>(Shape{1031, 64}, rng, -6.0f, 6.0f);
  const Tensor<float> dy = random_tensor<float>(x.shape(), rng);
  auto run = [&](int threads) {
    ThreadCount count(threads);
    std::vector<Tensor<float>> out(3, Tensor<float>(x.shape()));
    backend::softmax(x, out[0]);
    backend::log_softmax(x, out[1]);
    backend::softmax_backward(out[0], dy, out[2]);
    return out;
  };
  const auto serial = run(1), threaded = run(2);
  for (std::size_t i = 0; i < serial.size(); ++i)
    BOOST_TEST(std::memcmp(serial[i].data(), threaded[i].data(), serial[i].bytes()) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
