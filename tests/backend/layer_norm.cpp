#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/core/threads.hpp>

#include <support/gradient_check.hpp>
#include <support/random_tensor.hpp>
#include <support/thread_count.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <tuple>
#include <vector>

using namespace adaptrec;
using adaptrec_test::random_tensor;
using adaptrec_test::ThreadCount;

namespace {

using scalar_types = std::tuple<float, double>;

template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_layer_norm)

BOOST_AUTO_TEST_CASE_TEMPLATE(forward_matches_double_reference, T, scalar_types) {
  Rng rng(401);
  const T eps = T(1e-5);
  for (index_t cols : {1, 7, 33, 129}) {
    // An offset of 3 makes the mean matter: a one-pass variance would lose digits.
    const Tensor<T> x = random_tensor<T>(Shape{2, 3, cols}, rng, T(2), T(4));
    const Tensor<T> gamma = random_tensor<T>(Shape{cols}, rng, T(0.5), T(1.5));
    const Tensor<T> beta = random_tensor<T>(Shape{cols}, rng);
    Tensor<T> y(x.shape()), mean(Shape{6}), rstd(Shape{6});
    backend::layer_norm_forward(x, gamma, beta, eps, y, mean, rstd);
    for (index_t r = 0; r < 6; ++r) {
      double mu = 0, var = 0;
      for (index_t c = 0; c < cols; ++c) mu += double(x[r * cols + c]);
      mu /= double(cols);
      for (index_t c = 0; c < cols; ++c) var += std::pow(double(x[r * cols + c]) - mu, 2);
      var /= double(cols);
      const double rs = 1 / std::sqrt(var + double(eps));
      BOOST_TEST_CONTEXT("cols " << cols << " row " << r) {
        BOOST_TEST(std::abs(double(mean[r]) - mu) <= tolerance<T> * std::abs(mu));
        BOOST_TEST(std::abs(double(rstd[r]) - rs) <= tolerance<T> * rs * 10);
        for (index_t c = 0; c < cols; ++c) {
          const double exact =
              (double(x[r * cols + c]) - mu) * rs * double(gamma[c]) + double(beta[c]);
          // The subtraction x - mean loses up to |x| / |x - mean| digits; scale by |x| rs.
          const double bound = (std::abs(double(x[r * cols + c])) * rs + 1) * double(gamma[c]);
          BOOST_TEST(std::abs(double(y[r * cols + c]) - exact) <= tolerance<T> * bound);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(constant_rows_give_beta, T, scalar_types) {
  const Tensor<T> x = Tensor<T>::full(Shape{2, 5}, T(3));
  const Tensor<T> gamma = Tensor<T>::full(Shape{5}, T(2));
  const Tensor<T> beta(Shape{5}, {T(1), T(2), T(3), T(4), T(5)});
  Tensor<T> y(x.shape()), mean(Shape{2}), rstd(Shape{2});
  backend::layer_norm_forward(x, gamma, beta, T(1e-5), y, mean, rstd);
  BOOST_TEST(std::isfinite(rstd[0]));
  BOOST_TEST(double(rstd[0]) == 1 / std::sqrt(1e-5), boost::test_tools::tolerance(1e-5));
  for (index_t c = 0; c < 5; ++c) BOOST_TEST(y(1, c) == beta[c]);
}

BOOST_AUTO_TEST_CASE(backward_matches_finite_differences) {
  Rng rng(402);
  const double eps = 1e-5;
  Tensor<double> x = random_tensor<double>(Shape{2, 3, 6}, rng, -2.0, 2.0);
  Tensor<double> gamma = random_tensor<double>(Shape{6}, rng, 0.5, 1.5);
  Tensor<double> beta = random_tensor<double>(Shape{6}, rng);
  const Tensor<double> r = random_tensor<double>(x.shape(), rng);
  auto loss = [&] {
    Tensor<double> y(x.shape()), mean(Shape{6}), rstd(Shape{6});
    backend::layer_norm_forward(x, gamma, beta, eps, y, mean, rstd);
    return adaptrec_test::inner(y, r);
  };
  Tensor<double> y(x.shape()), mean(Shape{6}), rstd(Shape{6});
  backend::layer_norm_forward(x, gamma, beta, eps, y, mean, rstd);
  // dgamma and dbeta accumulate: start them from a known offset.
  Tensor<double> dx(x.shape());
  Tensor<double> dgamma = Tensor<double>::full(Shape{6}, 0.25);
  Tensor<double> dbeta = Tensor<double>::full(Shape{6}, -0.5);
  backend::layer_norm_backward(x, gamma, mean, rstd, r, dx, dgamma, dbeta);
  for (double& g : dgamma) g -= 0.25;
  for (double& g : dbeta) g += 0.5;

  adaptrec_test::compare(dx, adaptrec_test::numeric_gradient(x, loss), "dx");
  adaptrec_test::compare(dgamma, adaptrec_test::numeric_gradient(gamma, loss), "dgamma");
  adaptrec_test::compare(dbeta, adaptrec_test::numeric_gradient(beta, loss), "dbeta");
}

// 70 rows span three blocks of the parameter-gradient sum, the last one short.
BOOST_AUTO_TEST_CASE(backward_over_several_row_blocks_matches_finite_differences) {
  Rng rng(404);
  const double eps = 1e-5;
  Tensor<double> x = random_tensor<double>(Shape{70, 9}, rng, -2.0, 2.0);
  Tensor<double> gamma = random_tensor<double>(Shape{9}, rng, 0.5, 1.5);
  Tensor<double> beta = random_tensor<double>(Shape{9}, rng);
  const Tensor<double> r = random_tensor<double>(x.shape(), rng);
  auto loss = [&] {
    Tensor<double> y(x.shape()), mean(Shape{70}), rstd(Shape{70});
    backend::layer_norm_forward(x, gamma, beta, eps, y, mean, rstd);
    return adaptrec_test::inner(y, r);
  };
  Tensor<double> y(x.shape()), mean(Shape{70}), rstd(Shape{70});
  backend::layer_norm_forward(x, gamma, beta, eps, y, mean, rstd);
  Tensor<double> dx(x.shape()), dgamma(Shape{9}), dbeta(Shape{9});
  backend::layer_norm_backward(x, gamma, mean, rstd, r, dx, dgamma, dbeta);
  adaptrec_test::compare(dx, adaptrec_test::numeric_gradient(x, loss), "dx");
  adaptrec_test::compare(dgamma, adaptrec_test::numeric_gradient(gamma, loss), "dgamma");
  adaptrec_test::compare(dbeta, adaptrec_test::numeric_gradient(beta, loss), "dbeta");
}

BOOST_AUTO_TEST_CASE(one_and_two_threads_give_identical_results) {
  Rng rng(403);
  const Tensor<float> x = random_tensor<float>(Shape{517, 96}, rng, -3.0f, 3.0f);
  const Tensor<float> gamma = random_tensor<float>(Shape{96}, rng);
  const Tensor<float> beta = random_tensor<float>(Shape{96}, rng);
  const Tensor<float> dy = random_tensor<float>(x.shape(), rng);
  auto run = [&](int threads) {
    ThreadCount count(threads);
    std::vector<Tensor<float>> out = {Tensor<float>(x.shape()), Tensor<float>(Shape{517}),
                                      Tensor<float>(Shape{517}), Tensor<float>(x.shape()),
                                      Tensor<float>(Shape{96}), Tensor<float>(Shape{96})};
    backend::layer_norm_forward(x, gamma, beta, 1e-5f, out[0], out[1], out[2]);
    backend::layer_norm_backward(x, gamma, out[1], out[2], dy, out[3], out[4], out[5]);
    return out;
  };
  const auto serial = run(1), threaded = run(2);
  for (std::size_t i = 0; i < serial.size(); ++i)
    BOOST_TEST(std::memcmp(serial[i].data(), threaded[i].data(), serial[i].bytes()) == 0,
               "output " << i);
}

BOOST_AUTO_TEST_SUITE_END()
