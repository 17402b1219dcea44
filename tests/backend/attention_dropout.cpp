#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>
#include <support/random_tensor.hpp>
#include <support/thread_count.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

using namespace adaptrec;
using adaptrec_test::random_tensor;

namespace {

using scalar_types = std::tuple<float, double>;

template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;

struct Dims {
  index_t batch, heads, s, t, d;
  Shape q() const { return {batch, heads, s, d}; }
  Shape kv() const { return {batch, heads, t, d}; }
  Shape probs() const { return {batch, heads, s, t}; }
};

// Entries 0 with probability p, else 1/(1-p), as the attention layer draws them.
template <class T>
Tensor<T> dropout_mask(const Shape& shape, double p, Rng& rng) {
  Tensor<T> m(shape);
  std::uniform_real_distribution<double> u(0, 1);
  for (T& x : m) x = u(rng) < p ? T(0) : T(1 / (1 - p));
  return m;
}

template <class T>
Tensor<T> key_mask(const Dims& n) {
  Tensor<T> m(Shape{n.batch, n.t});
  for (index_t b = 0; b < n.batch; ++b)
    for (index_t j = 0; j < n.t; ++j) m(b, j) = T(j < n.t - b);  // batch b pads its last b keys
  return m;
}

// out[b,h,i,:] = sum_j P[b,h,i,j] M[b,h,i,j] v[b,h,j,:] in double, with P the
// masked softmax of scale * q_i . k_j (Vaswani et al., 2017, eq. 1).
template <class T>
std::vector<double> reference_output(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                                     const Tensor<T>& mask, const Tensor<T>& drop, double scale,
                                     const Dims& n) {
  std::vector<double> out(static_cast<std::size_t>(q.size()), 0.0);
  for (index_t b = 0; b < n.batch; ++b)
    for (index_t h = 0; h < n.heads; ++h)
      for (index_t i = 0; i < n.s; ++i) {
        std::vector<double> e(static_cast<std::size_t>(n.t), 0.0);
        double max = -std::numeric_limits<double>::infinity(), sum = 0;
        for (index_t j = 0; j < n.t; ++j) {
          if (mask(b, j) == T(0)) continue;
          double dot = 0;
          for (index_t c = 0; c < n.d; ++c) dot += double(q(b, h, i, c)) * double(k(b, h, j, c));
          e[j] = scale * dot;
          max = std::max(max, e[j]);
        }
        for (index_t j = 0; j < n.t; ++j)
          if (mask(b, j) != T(0)) sum += e[j] = std::exp(e[j] - max);
        for (index_t j = 0; j < n.t; ++j) {
          const double a = mask(b, j) == T(0) ? 0.0 : e[j] / sum * double(drop(b, h, i, j));
          for (index_t c = 0; c < n.d; ++c)
            out[static_cast<std::size_t>(((b * n.heads + h) * n.s + i) * n.d + c)] +=
                a * double(v(b, h, j, c));
        }
      }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_attention_dropout)

BOOST_AUTO_TEST_CASE_TEMPLATE(forward_matches_double_reference, T, scalar_types) {
  Rng rng(701);
  for (const Dims& n : {Dims{2, 3, 4, 4, 5}, Dims{3, 2, 2, 6, 3}}) {
    const Tensor<T> q = random_tensor<T>(n.q(), rng), k = random_tensor<T>(n.kv(), rng),
                    v = random_tensor<T>(n.kv(), rng);
    const Tensor<T> mask = key_mask<T>(n), drop = dropout_mask<T>(n.probs(), 0.3, rng);
    const T scale = T(1) / std::sqrt(T(n.d));
    Tensor<T> out(n.q()), probs(n.probs()), plain_probs(n.probs()), plain_out(n.q());
    backend::attention_forward(q, k, v, mask, drop, scale, out, probs);
    const std::vector<double> expected = reference_output(q, k, v, mask, drop, double(scale), n);
    for (index_t i = 0; i < out.size(); ++i)
      BOOST_TEST(std::abs(double(out[i]) - expected[static_cast<std::size_t>(i)]) <=
                 tolerance<T> * 2);
    // probs are the softmax before dropout, as without a dropout mask.
    backend::attention_forward(q, k, v, mask, scale, plain_out, plain_probs);
    BOOST_TEST(probs.to_vector() == plain_probs.to_vector(), boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(all_ones_mask_equals_no_dropout) {
  Rng rng(702);
  const Dims n{2, 2, 3, 5, 4};
  const Tensor<double> q = random_tensor<double>(n.q(), rng),
                       k = random_tensor<double>(n.kv(), rng),
                       v = random_tensor<double>(n.kv(), rng);
  const Tensor<double> mask = key_mask<double>(n), ones = Tensor<double>::full(n.probs(), 1.0);
  const Tensor<double> d_out = random_tensor<double>(n.q(), rng);
  Tensor<double> out_a(n.q()), out_b(n.q()), probs_a(n.probs()), probs_b(n.probs());
  backend::attention_forward(q, k, v, mask, ones, 0.5, out_a, probs_a);
  backend::attention_forward(q, k, v, mask, 0.5, out_b, probs_b);
  BOOST_TEST(out_a.to_vector() == out_b.to_vector(), boost::test_tools::per_element());
  Tensor<double> dq_a(n.q()), dk_a(n.kv()), dv_a(n.kv()), dq_b(n.q()), dk_b(n.kv()),
      dv_b(n.kv());
  backend::attention_backward(q, k, v, probs_a, ones, d_out, 0.5, dq_a, dk_a, dv_a);
  backend::attention_backward(q, k, v, probs_b, d_out, 0.5, dq_b, dk_b, dv_b);
  BOOST_TEST(dq_a.to_vector() == dq_b.to_vector(), boost::test_tools::per_element());
  BOOST_TEST(dk_a.to_vector() == dk_b.to_vector(), boost::test_tools::per_element());
  BOOST_TEST(dv_a.to_vector() == dv_b.to_vector(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(backward_matches_finite_differences) {
  Rng rng(703);
  const Dims n{2, 2, 3, 4, 5};
  Tensor<double> q = random_tensor<double>(n.q(), rng), k = random_tensor<double>(n.kv(), rng),
                 v = random_tensor<double>(n.kv(), rng);
  const Tensor<double> r = random_tensor<double>(n.q(), rng);
  const Tensor<double> drop = dropout_mask<double>(n.probs(), 0.4, rng);
  for (const Tensor<double>& mask : {Tensor<double>(), key_mask<double>(n)}) {
    BOOST_TEST_CONTEXT("key mask " << mask.shape()) {
      auto loss = [&] {
        Tensor<double> out(n.q()), probs(n.probs());
        backend::attention_forward(q, k, v, mask, drop, 0.4, out, probs);
        return adaptrec_test::inner(out, r);
      };
      Tensor<double> out(n.q()), probs(n.probs());
      backend::attention_forward(q, k, v, mask, drop, 0.4, out, probs);
      Tensor<double> dq(n.q()), dk(n.kv()), dv(n.kv());
      backend::attention_backward(q, k, v, probs, drop, r, 0.4, dq, dk, dv);
      adaptrec_test::compare(dq, adaptrec_test::numeric_gradient(q, loss), "dq");
      adaptrec_test::compare(dk, adaptrec_test::numeric_gradient(k, loss), "dk");
      adaptrec_test::compare(dv, adaptrec_test::numeric_gradient(v, loss), "dv");
    }
  }
}

BOOST_AUTO_TEST_CASE(one_and_two_threads_agree) {
  // B*H*S*T*D = 65536 takes the parallel path over (batch, head).
  Rng rng(704);
  const Dims n{4, 4, 16, 16, 16};
  const Tensor<float> q = random_tensor<float>(n.q(), rng), k = random_tensor<float>(n.kv(), rng),
                      v = random_tensor<float>(n.kv(), rng),
                      d_out = random_tensor<float>(n.q(), rng);
  const Tensor<float> mask = key_mask<float>(n), drop = dropout_mask<float>(n.probs(), 0.1, rng);
  auto run = [&](int threads) {
    adaptrec_test::ThreadCount count(threads);
    std::vector<Tensor<float>> r = {Tensor<float>(n.q()), Tensor<float>(n.probs()),
                                    Tensor<float>(n.q()), Tensor<float>(n.kv()),
                                    Tensor<float>(n.kv())};
    backend::attention_forward(q, k, v, mask, drop, 0.25f, r[0], r[1]);
    backend::attention_backward(q, k, v, r[1], drop, d_out, 0.25f, r[2], r[3], r[4]);
    return r;
  };
  const auto serial = run(1), threaded = run(2);
  for (std::size_t t = 0; t < serial.size(); ++t) {
    double worst = 0;
    for (index_t i = 0; i < serial[t].size(); ++i)
      worst = std::max(worst, double(std::abs(serial[t][i] - threaded[t][i])));
    BOOST_TEST(worst <= 1e-6, "output " << t);
  }
}

BOOST_AUTO_TEST_CASE(dropout_mask_of_wrong_shape_names_it) {
  using F = Tensor<float>;
  const Dims n{2, 2, 3, 4, 5};
  const F q(n.q()), k(n.kv()), v(n.kv()), no_mask, wrong(Shape{2, 2, 4, 3});
  F out(n.q()), probs(n.probs()), dq(n.q()), dk(n.kv()), dv(n.kv());
  adaptrec_test::require_throw_naming<shape_error>(
      [&] { backend::attention_forward(q, k, v, no_mask, wrong, 1.0f, out, probs); },
      {"attention_forward", "[2, 2, 4, 3]"});
  adaptrec_test::require_throw_naming<shape_error>(
      [&] { backend::attention_backward(q, k, v, probs, wrong, out, 1.0f, dq, dk, dv); },
      {"attention_backward", "[2, 2, 4, 3]", "[2, 2, 3, 4]"});
}

BOOST_AUTO_TEST_SUITE_END()
