#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/core/threads.hpp>
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <support/cpu_backend.hpp>
#include <support/random_tensor.hpp>
#include <support/thread_count.hpp>
#include <tuple>
#include <vector>

using namespace adaptrec;
using adaptrec_test::built_cpu_backends;
using adaptrec_test::CpuBackendScope;
using adaptrec_test::random_tensor;
using adaptrec_test::ThreadCount;
using backend::Trans;

namespace {

using scalar_types = std::tuple<float, double>;

// Worst accepted error relative to the magnitude of the exact result.
template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;

// Element (i, j) of op(X), X stored row-major with `cols` columns.
template <class T>
double op_at(const T* x, index_t cols, bool trans, index_t i, index_t j) {
  return static_cast<double>(trans ? x[j * cols + i] : x[i * cols + j]);
}

// Largest |c - exact| / |terms| over the elements of one m x n product, where
// exact = alpha * sum_p op(A)_ip op(B)_pj + beta * c0 is accumulated in double
// and |terms| = |alpha| * sum_p |op(A)_ip op(B)_pj| + |beta * c0| bounds the
// rounding any order of summation can make (Higham, Accuracy and Stability of
// Numerical Algorithms, 2nd ed., section 3.5). beta == 0 ignores c0 entirely.
template <class T>
double scaled_error(const T* a, index_t a_cols, bool ta, const T* b, index_t b_cols, bool tb,
                    const T* c0, const T* c, index_t m, index_t n, index_t k, T alpha, T beta) {
  double worst = 0;
  for (index_t i = 0; i < m; ++i)
    for (index_t j = 0; j < n; ++j) {
      double sum = 0, magnitude = 0;
      for (index_t p = 0; p < k; ++p) {
        const double term = op_at(a, a_cols, ta, i, p) * op_at(b, b_cols, tb, p, j);
        sum += term;
        magnitude += std::abs(term);
      }
      double exact = double(alpha) * sum;
      double bound = std::abs(double(alpha)) * magnitude;
      if (beta != T(0)) {
        exact += double(beta) * double(c0[i * n + j]);
        bound += std::abs(double(beta) * double(c0[i * n + j]));
      }
      const double got = double(c[i * n + j]);
      if (!std::isfinite(got)) return std::numeric_limits<double>::infinity();
      const double error = std::abs(got - exact);
      if (error == 0) continue;
      worst = std::max(worst, error / std::max(bound, std::numeric_limits<double>::min()));
    }
  return worst;
}

struct Extents {
  index_t m, n, k;
};
const std::vector<Extents> odd_extents = {{1, 1, 1},    {7, 1, 33},   {1, 129, 7}, {33, 7, 129},
                                          {129, 33, 1}, {7, 129, 33}, {33, 33, 7}, {5, 3, 0}};
struct Scalars {
  double alpha, beta;
};
const std::vector<Scalars> alpha_beta = {{1, 0}, {-0.75, 0}, {1, 1}, {0.5, 1}, {2, -0.5}};

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_gemm)

BOOST_AUTO_TEST_CASE_TEMPLATE(gemm_matches_double_reference_for_every_transpose, T, scalar_types) {
  Rng rng(101);
  const T nan = std::numeric_limits<T>::quiet_NaN();
  for (backend::CpuBackend cpu : built_cpu_backends()) {
    CpuBackendScope scope(cpu);
    for (const Extents& e : odd_extents)
      for (bool ta : {false, true})
        for (bool tb : {false, true})
          for (const Scalars& s : alpha_beta) {
            const T alpha = T(s.alpha), beta = T(s.beta);
            const Tensor<T> a = random_tensor<T>(ta ? Shape{e.k, e.m} : Shape{e.m, e.k}, rng);
            const Tensor<T> b = random_tensor<T>(tb ? Shape{e.n, e.k} : Shape{e.k, e.n}, rng);
            const Tensor<T> c0 = random_tensor<T>(Shape{e.m, e.n}, rng);
            Tensor<T> c = c0;
            // beta == 0 must overwrite C, not scale it: NaN * 0 would otherwise survive.
            if (beta == T(0)) c.fill(nan);
            backend::gemm(a, ta ? Trans::yes : Trans::no, b, tb ? Trans::yes : Trans::no, c, alpha,
                          beta);
            BOOST_TEST_CONTEXT(backend::to_string(cpu)
                               << " m=" << e.m << " n=" << e.n << " k=" << e.k << " trans_a=" << ta
                               << " trans_b=" << tb << " alpha=" << s.alpha << " beta=" << s.beta) {
              BOOST_TEST(scaled_error(a.data(), a.cols(), ta, b.data(), b.cols(), tb, c0.data(),
                                      c.data(), e.m, e.n, e.k, alpha, beta) < tolerance<T>);
            }
          }
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(beta_one_accumulates_into_c, T, scalar_types) {
  Rng rng(102);
  const Tensor<T> a = random_tensor<T>(Shape{7, 33}, rng);
  const Tensor<T> b = random_tensor<T>(Shape{33, 5}, rng);
  Tensor<T> once(Shape{7, 5});
  backend::gemm(a, Trans::no, b, Trans::no, once);
  Tensor<T> twice = once;
  backend::gemm(a, Trans::no, b, Trans::no, twice, T(1), T(1));
  for (index_t i = 0; i < once.size(); ++i)
    BOOST_TEST(double(twice[i]) == 2.0 * double(once[i]),
               boost::test_tools::tolerance(tolerance<T>));
}

BOOST_AUTO_TEST_CASE(gemm_views_leading_dimensions_as_rows) {
  // A [batch, seq, in] activation times a [out, in] weight, as layers::Linear does.
  Rng rng(103);
  const Tensor<double> x = random_tensor<double>(Shape{2, 3, 4}, rng);
  const Tensor<double> w = random_tensor<double>(Shape{5, 4}, rng);
  Tensor<double> y(Shape{2, 3, 5});
  backend::gemm(x, Trans::no, w, Trans::yes, y);
  for (index_t b = 0; b < 2; ++b)
    for (index_t s = 0; s < 3; ++s)
      for (index_t o = 0; o < 5; ++o) {
        double expected = 0;
        for (index_t i = 0; i < 4; ++i) expected += x(b, s, i) * w(o, i);
        BOOST_TEST(y(b, s, o) == expected, boost::test_tools::tolerance(1e-12));
      }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(batched_gemm_matches_double_reference, T, scalar_types) {
  Rng rng(104);
  const T nan = std::numeric_limits<T>::quiet_NaN();
  // Batch 1 takes the single-GEMM path; batch 5 of 7x33x129 is big enough to be
  // split across threads; batch 3 of tiny matrices stays serial.
  const std::vector<std::pair<index_t, Extents>> cases = {
      {1, {33, 7, 129}}, {5, {7, 33, 129}}, {3, {1, 7, 1}}, {4, {33, 1, 7}}};
  for (backend::CpuBackend cpu : built_cpu_backends()) {
    CpuBackendScope scope(cpu);
    for (const auto& [batch, e] : cases)
      for (bool ta : {false, true})
        for (bool tb : {false, true})
          for (const Scalars& s : alpha_beta) {
            const T alpha = T(s.alpha), beta = T(s.beta);
            const Tensor<T> a =
                random_tensor<T>(ta ? Shape{batch, e.k, e.m} : Shape{batch, e.m, e.k}, rng);
            const Tensor<T> b =
                random_tensor<T>(tb ? Shape{batch, e.n, e.k} : Shape{batch, e.k, e.n}, rng);
            const Tensor<T> c0 = random_tensor<T>(Shape{batch, e.m, e.n}, rng);
            Tensor<T> c = c0;
            if (beta == T(0)) c.fill(nan);
            backend::batched_gemm(a, ta ? Trans::yes : Trans::no, b, tb ? Trans::yes : Trans::no, c,
                                  alpha, beta);
            const index_t a_cols = a.cols(), b_cols = b.cols();
            for (index_t i = 0; i < batch; ++i) {
              BOOST_TEST_CONTEXT(backend::to_string(cpu)
                                 << " batch " << i << "/" << batch << " m=" << e.m << " n=" << e.n
                                 << " k=" << e.k << " trans_a=" << ta << " trans_b=" << tb
                                 << " alpha=" << s.alpha << " beta=" << s.beta) {
                BOOST_TEST(scaled_error(a.data() + i * e.m * e.k, a_cols, ta,
                                        b.data() + i * e.k * e.n, b_cols, tb,
                                        c0.data() + i * e.m * e.n, c.data() + i * e.m * e.n, e.m,
                                        e.n, e.k, alpha, beta) < tolerance<T>);
              }
            }
          }
  }
}

BOOST_AUTO_TEST_CASE(one_and_two_threads_agree_on_a_large_gemm) {
  Rng rng(105);
  const Tensor<float> a = random_tensor<float>(Shape{300, 300}, rng);
  const Tensor<float> b = random_tensor<float>(Shape{300, 300}, rng);
  const Tensor<float> c0 = random_tensor<float>(Shape{300, 300}, rng);
  for (backend::CpuBackend cpu : built_cpu_backends()) {
    CpuBackendScope scope(cpu);
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        Tensor<float> serial = c0, threaded = c0;
        {
          ThreadCount one(1);
          backend::gemm(a, ta ? Trans::yes : Trans::no, b, tb ? Trans::yes : Trans::no, serial,
                        0.5f, 1.0f);
        }
        {
          ThreadCount two(2);
          backend::gemm(a, ta ? Trans::yes : Trans::no, b, tb ? Trans::yes : Trans::no, threaded,
                        0.5f, 1.0f);
        }
        BOOST_TEST_CONTEXT(backend::to_string(cpu) << " trans_a=" << ta << " trans_b=" << tb) {
          // The serial path is checked against the reference above on odd shapes.
          BOOST_TEST(scaled_error(a.data(), 300, ta, b.data(), 300, tb, c0.data(), threaded.data(),
                                  300, 300, 300, 0.5f, 1.0f) < 1e-5);
          double worst = 0;
          for (index_t i = 0; i < serial.size(); ++i)
            worst = std::max(worst, double(std::abs(serial[i] - threaded[i])));
          BOOST_TEST(worst < 1e-4);  // |c| is about 3: a few float ulps of a 300-term sum
        }
      }
  }
}

BOOST_AUTO_TEST_SUITE_END()
