#include <adaptrec/backend/compute_precision.hpp>
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/core/threads.hpp>

#include <support/gradient_check.hpp>
#include <support/random_tensor.hpp>
#include <support/reference_epilogue.hpp>
#include <support/thread_count.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <tuple>
#include <vector>

using namespace adaptrec;
using adaptrec_test::random_tensor;
using adaptrec_test::ThreadCount;

namespace {

using scalar_types = std::tuple<float, double>;

template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;

struct Dims {
  index_t batch, heads, s, t, d;
};

// Naive scaled dot-product attention in double (Vaswani et al., 2017, eq. 1):
// probs[b,h,i,:] = softmax(scale * q_i . k_j over unmasked j), out = probs v.
template <class T>
void reference_attention(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                         const Tensor<T>& mask, double scale, const Dims& n,
                         std::vector<double>& out, std::vector<double>& probs,
                         bool bf16_probabilities = false) {
  out.assign(static_cast<std::size_t>(n.batch * n.heads * n.s * n.d), 0.0);
  probs.assign(static_cast<std::size_t>(n.batch * n.heads * n.s * n.t), 0.0);
  for (index_t b = 0; b < n.batch; ++b)
    for (index_t h = 0; h < n.heads; ++h)
      for (index_t i = 0; i < n.s; ++i) {
        std::vector<double> score(static_cast<std::size_t>(n.t));
        std::vector<bool> keep(static_cast<std::size_t>(n.t));
        double max = -std::numeric_limits<double>::infinity();
        for (index_t j = 0; j < n.t; ++j) {
          double dot = 0;
          for (index_t c = 0; c < n.d; ++c) dot += double(q(b, h, i, c)) * double(k(b, h, j, c));
          score[j] = scale * dot;
          keep[j] = mask.empty() || mask(b, j) != T(0);
          if (keep[j]) max = std::max(max, score[j]);
        }
        double sum = 0;
        for (index_t j = 0; j < n.t; ++j) sum += keep[j] ? std::exp(score[j] - max) : 0.0;
        const index_t row = (b * n.heads + h) * n.s + i;
        for (index_t j = 0; j < n.t; ++j) {
          const double p = keep[j] ? std::exp(score[j] - max) / sum : 0.0;
          probs[row * n.t + j] = p;
          const double weight = bf16_probabilities ? adaptrec_test::bf16_reference(p) : p;
          for (index_t c = 0; c < n.d; ++c) out[row * n.d + c] += weight * double(v(b, h, j, c));
        }
      }
}

template <class T>
void check_forward(const Dims& n, bool masked, Rng& rng) {
  const Tensor<T> q = random_tensor<T>(Shape{n.batch, n.heads, n.s, n.d}, rng);
  const Tensor<T> k = random_tensor<T>(Shape{n.batch, n.heads, n.t, n.d}, rng);
  const Tensor<T> v = random_tensor<T>(Shape{n.batch, n.heads, n.t, n.d}, rng);
  Tensor<T> mask;
  if (masked) {
    mask = Tensor<T>(Shape{n.batch, n.t});
    for (index_t b = 0; b < n.batch; ++b)
      for (index_t j = 0; j < n.t; ++j) mask(b, j) = T((j + b) % 3 != 1);  // keeps key 0 or 1
  }
  const T scale = T(1) / std::sqrt(T(n.d));
  Tensor<T> out(q.shape()), probs(Shape{n.batch, n.heads, n.s, n.t});
  out.fill(std::numeric_limits<T>::quiet_NaN());
  probs.fill(std::numeric_limits<T>::quiet_NaN());
  backend::attention_forward(q, k, v, mask, scale, out, probs);

  std::vector<double> ref_out, ref_probs;
  reference_attention(q, k, v, mask, double(scale), n, ref_out, ref_probs);
  for (index_t i = 0; i < probs.size(); ++i) {
    const index_t b = i / (n.heads * n.s * n.t), j = i % n.t;
    if (masked && mask(b, j) == T(0)) {
      BOOST_TEST(probs[i] == T(0), "masked key " << j << " of batch " << b);
    } else {
      BOOST_TEST(std::abs(double(probs[i]) - ref_probs[i]) <= tolerance<T> * ref_probs[i]);
    }
  }
  // Each output is a convex combination of values in [-1, 1].
  for (index_t i = 0; i < out.size(); ++i)
    BOOST_TEST(std::abs(double(out[i]) - ref_out[i]) <= tolerance<T>);
}

// attention_backward against central differences of L = <attention(q, k, v), R>.
void check_backward(const Dims& n, const Tensor<double>& mask, Rng& rng) {
  Tensor<double> q = random_tensor<double>(Shape{n.batch, n.heads, n.s, n.d}, rng);
  Tensor<double> k = random_tensor<double>(Shape{n.batch, n.heads, n.t, n.d}, rng);
  Tensor<double> v = random_tensor<double>(Shape{n.batch, n.heads, n.t, n.d}, rng);
  const Tensor<double> r = random_tensor<double>(q.shape(), rng);
  const double scale = 1 / std::sqrt(double(n.d));
  const Shape probs_shape{n.batch, n.heads, n.s, n.t};
  auto loss = [&] {
    Tensor<double> out(q.shape()), probs(probs_shape);
    backend::attention_forward(q, k, v, mask, scale, out, probs);
    return adaptrec_test::inner(out, r);
  };
  Tensor<double> out(q.shape()), probs(probs_shape);
  backend::attention_forward(q, k, v, mask, scale, out, probs);
  Tensor<double> dq(q.shape()), dk(k.shape()), dv(v.shape());
  backend::attention_backward(q, k, v, probs, r, scale, dq, dk, dv);
  adaptrec_test::compare(dq, adaptrec_test::numeric_gradient(q, loss), "dq");
  adaptrec_test::compare(dk, adaptrec_test::numeric_gradient(k, loss), "dk");
  adaptrec_test::compare(dv, adaptrec_test::numeric_gradient(v, loss), "dv");
}

Tensor<double> rounded_to_bf16(const Tensor<float>& x) {
  Tensor<double> y(x.shape());
  for (index_t i = 0; i < x.size(); ++i) y[i] = adaptrec_test::bf16_reference(x[i]);
  return y;
}

double max_relative_difference(const Tensor<float>& a, const Tensor<float>& b) {
  double worst = 0, scale = 0;
  for (index_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::abs(double(b[i])));
  }
  return worst / scale;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_attention)

// In bf16 the products take q, k, v and the probabilities rounded to
// bfloat16; the probabilities themselves come from float32 scores.
BOOST_AUTO_TEST_CASE(bf16_forward_multiplies_rounded_numbers) {
  Rng rng(605);
  const Dims n{2, 3, 9, 11, 16};
  const auto q = random_tensor<float>(Shape{n.batch, n.heads, n.s, n.d}, rng);
  const auto k = random_tensor<float>(Shape{n.batch, n.heads, n.t, n.d}, rng);
  const auto v = random_tensor<float>(Shape{n.batch, n.heads, n.t, n.d}, rng);
  Tensor<float> mask(Shape{n.batch, n.t});
  for (index_t i = 0; i < mask.size(); ++i) mask[i] = float(i % 4 != 2);
  const float scale = 0.25f;
  Tensor<float> out(q.shape()), probs(Shape{n.batch, n.heads, n.s, n.t});
  Tensor<float> out32(q.shape()), probs32(probs.shape());
  out.fill(std::numeric_limits<float>::quiet_NaN());
  {
    backend::ComputePrecisionScope bf16(backend::Precision::bf16);
    backend::attention_forward(q, k, v, mask, scale, out, probs);
  }
  backend::attention_forward(q, k, v, mask, scale, out32, probs32);
  std::vector<double> ref_out, ref_probs;
  reference_attention(rounded_to_bf16(q), rounded_to_bf16(k), rounded_to_bf16(v),
                      Tensor<double>(mask.shape(), {mask.data(), mask.data() + mask.size()}),
                      double(scale), n, ref_out, ref_probs, true);
  for (index_t i = 0; i < probs.size(); ++i)
    BOOST_TEST(std::abs(double(probs[i]) - ref_probs[i]) <= 1e-5 * std::max(ref_probs[i], 1e-3));
  // A probability a float32 rounding away from a bfloat16 tie may round the
  // other way than its double reference: one bfloat16 step, 2^-8 relative.
  for (index_t i = 0; i < out.size(); ++i)
    BOOST_TEST(std::abs(double(out[i]) - ref_out[i]) <= 4e-3);
  BOOST_TEST(max_relative_difference(out, out32) > 1e-6, "bf16 changed nothing");
  BOOST_TEST(max_relative_difference(out, out32) < 1e-2);
}

BOOST_AUTO_TEST_CASE(bf16_backward_stays_near_float32) {
  Rng rng(606);
  const Dims n{2, 2, 8, 8, 16};
  const auto q = random_tensor<float>(Shape{n.batch, n.heads, n.s, n.d}, rng);
  const auto k = random_tensor<float>(Shape{n.batch, n.heads, n.t, n.d}, rng);
  const auto v = random_tensor<float>(Shape{n.batch, n.heads, n.t, n.d}, rng);
  const auto g = random_tensor<float>(q.shape(), rng);
  Tensor<float> dropout(Shape{n.batch, n.heads, n.s, n.t});
  for (index_t i = 0; i < dropout.size(); ++i) dropout[i] = i % 5 == 0 ? 0.0f : 1.25f;
  const Tensor<float> no_mask;
  Tensor<float> grads[2][3];
  for (int bf16 = 0; bf16 < 2; ++bf16) {
    backend::ComputePrecisionScope precision(bf16 ? backend::Precision::bf16
                                                  : backend::Precision::fp32);
    Tensor<float> out(q.shape()), probs(dropout.shape());
    backend::attention_forward(q, k, v, no_mask, dropout, 0.25f, out, probs);
    for (auto& t : grads[bf16]) t = Tensor<float>::full(q.shape(), std::nanf(""));
    backend::attention_backward(q, k, v, probs, dropout, g, 0.25f, grads[bf16][0], grads[bf16][1],
                                grads[bf16][2]);
  }
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(max_relative_difference(grads[1][i], grads[0][i]) < 2e-2, "gradient " << i);
    BOOST_TEST(max_relative_difference(grads[1][i], grads[0][i]) > 1e-6, "gradient " << i);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(forward_matches_double_reference, T, scalar_types) {
  Rng rng(601);
  for (const Dims& n : {Dims{2, 2, 3, 4, 5}, Dims{1, 3, 7, 1, 8}, Dims{3, 1, 1, 33, 7}})
    for (bool masked : {false, true}) {
      BOOST_TEST_CONTEXT("B=" << n.batch << " H=" << n.heads << " S=" << n.s << " T=" << n.t
                              << " D=" << n.d << " masked=" << masked) {
        check_forward<T>(n, masked, rng);
      }
    }
}

BOOST_AUTO_TEST_CASE(backward_matches_finite_differences) {
  Rng rng(602);
  const Dims n{2, 2, 3, 4, 5};
  BOOST_TEST_CONTEXT("no mask") { check_backward(n, Tensor<double>(), rng); }
  const Tensor<double> mask(Shape{2, 4}, {1, 0, 1, 0,  //
                                          1, 1, 1, 0});
  BOOST_TEST_CONTEXT("key mask") { check_backward(n, mask, rng); }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(fully_masked_rows_give_zeros_not_nan, T, scalar_types) {
  Rng rng(603);
  const Tensor<T> q = random_tensor<T>(Shape{2, 2, 3, 5}, rng);
  const Tensor<T> k = random_tensor<T>(Shape{2, 2, 4, 5}, rng);
  const Tensor<T> v = random_tensor<T>(Shape{2, 2, 4, 5}, rng);
  const Tensor<T> mask(Shape{2, 4}, {1, 1, 0, 1,  //
                                     0, 0, 0, 0});  // batch 1 has no key at all
  const T scale = T(0.5);
  Tensor<T> out(q.shape()), probs(Shape{2, 2, 3, 4});
  backend::attention_forward(q, k, v, mask, scale, out, probs);
  for (T x : out) BOOST_TEST(std::isfinite(x));
  for (index_t i = out.size() / 2; i < out.size(); ++i) BOOST_TEST(out[i] == T(0));
  for (index_t i = probs.size() / 2; i < probs.size(); ++i) BOOST_TEST(probs[i] == T(0));

  Tensor<T> dq(q.shape()), dk(k.shape()), dv(v.shape());
  backend::attention_backward(q, k, v, probs, Tensor<T>::full(q.shape(), T(1)), scale, dq, dk, dv);
  for (const Tensor<T>* g : {&dq, &dk, &dv}) {
    for (T x : *g) BOOST_TEST(std::isfinite(x));
    for (index_t i = g->size() / 2; i < g->size(); ++i) BOOST_TEST((*g)[i] == T(0));
  }
}

BOOST_AUTO_TEST_CASE(one_and_two_threads_agree) {
  // B*H*S*T*D = 65536 takes the parallel path over (batch, head).
  Rng rng(604);
  const Tensor<float> q = random_tensor<float>(Shape{4, 4, 16, 16}, rng);
  const Tensor<float> k = random_tensor<float>(Shape{4, 4, 16, 16}, rng);
  const Tensor<float> v = random_tensor<float>(Shape{4, 4, 16, 16}, rng);
  const Tensor<float> d_out = random_tensor<float>(q.shape(), rng);
  Tensor<float> mask(Shape{4, 16});
  for (index_t i = 0; i < mask.size(); ++i) mask[i] = float(i % 5 != 2);
  auto run = [&](int threads) {
    ThreadCount count(threads);
    std::vector<Tensor<float>> r = {Tensor<float>(q.shape()), Tensor<float>(Shape{4, 4, 16, 16}),
                                    Tensor<float>(q.shape()), Tensor<float>(k.shape()),
                                    Tensor<float>(v.shape())};
    backend::attention_forward(q, k, v, mask, 0.25f, r[0], r[1]);
    backend::attention_backward(q, k, v, r[1], d_out, 0.25f, r[2], r[3], r[4]);
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

// The projections' layout [B, tokens, H * D] gives what per-head blocks give:
// split, attend, merge. Outputs are poisoned first, so an unwritten element
// shows; with a key mask, dropout, and in bf16 too.
BOOST_AUTO_TEST_CASE_TEMPLATE(interleaved_heads_match_per_head_blocks, T, scalar_types) {
  Rng rng(606);
  const double bar = std::is_same_v<T, float> ? 1e-6 : 1e-13;
  for (const Dims& n : {Dims{2, 3, 5, 7, 4}, Dims{1, 2, 1, 9, 3}, Dims{3, 4, 6, 6, 8}})
    for (bool bf16 : {false, true}) {
      if (bf16 && !std::is_same_v<T, float>) continue;
      BOOST_TEST_CONTEXT("B=" << n.batch << " H=" << n.heads << " S=" << n.s << " T=" << n.t
                              << " D=" << n.d << " bf16=" << bf16) {
        std::optional<backend::ComputePrecisionScope> scope;
        if (bf16) scope.emplace(backend::Precision::bf16);
        const index_t width = n.heads * n.d;
        const Tensor<T> q = random_tensor<T>(Shape{n.batch, n.s, width}, rng);
        const Tensor<T> k = random_tensor<T>(Shape{n.batch, n.t, width}, rng);
        const Tensor<T> v = random_tensor<T>(Shape{n.batch, n.t, width}, rng);
        const Tensor<T> d_out = random_tensor<T>(q.shape(), rng);
        Tensor<T> mask(Shape{n.batch, n.t}), dropout(Shape{n.batch, n.heads, n.s, n.t});
        for (index_t i = 0; i < mask.size(); ++i) mask[i] = T(i % 4 != 1);
        for (index_t i = 0; i < dropout.size(); ++i) dropout[i] = i % 5 == 2 ? T(0) : T(1.25);
        const T scale = T(0.4);
        const auto poisoned = [](const Shape& shape) {
          return Tensor<T>::full(shape, std::numeric_limits<T>::quiet_NaN());
        };
        const auto split = [&](const Tensor<T>& x) {
          Tensor<T> out = poisoned(Shape{x.dim(0), n.heads, x.dim(1), n.d});
          backend::split_heads(x, n.heads, out);
          return out;
        };
        const auto merge = [&](const Tensor<T>& x) {
          Tensor<T> out = poisoned(Shape{x.dim(0), x.dim(2), width});
          backend::merge_heads(x, out);
          return out;
        };
        const Shape probs_shape{n.batch, n.heads, n.s, n.t};

        Tensor<T> out = poisoned(q.shape()), probs = poisoned(probs_shape);
        Tensor<T> dq = poisoned(q.shape()), dk = poisoned(k.shape()), dv = poisoned(v.shape());
        backend::multi_head_attention_forward(q, k, v, n.heads, mask, dropout, scale, out, probs);
        backend::multi_head_attention_backward(q, k, v, n.heads, probs, dropout, d_out, scale, dq,
                                               dk, dv);

        const Tensor<T> qh = split(q), kh = split(k), vh = split(v);
        Tensor<T> out_h = poisoned(qh.shape()), probs_h = poisoned(probs_shape);
        Tensor<T> dq_h = poisoned(qh.shape()), dk_h = poisoned(kh.shape()),
                  dv_h = poisoned(vh.shape());
        backend::attention_forward(qh, kh, vh, mask, dropout, scale, out_h, probs_h);
        backend::attention_backward(qh, kh, vh, probs_h, dropout, split(d_out), scale, dq_h, dk_h,
                                    dv_h);

        const auto check = [&](const Tensor<T>& got, const Tensor<T>& expected, const char* what) {
          for (index_t i = 0; i < got.size(); ++i)
            BOOST_TEST(std::abs(double(got[i]) - double(expected[i])) <=
                           bar * (1 + std::abs(double(expected[i]))),
                       what << "[" << i << "] = " << got[i] << ", per-head " << expected[i]);
        };
        check(probs, probs_h, "probs");
        check(out, merge(out_h), "out");
        check(dq, merge(dq_h), "dq");
        check(dk, merge(dk_h), "dk");
        check(dv, merge(dv_h), "dv");
      }
    }
  Tensor<T> q(Shape{1, 2, 6}), probs(Shape{1, 4, 2, 2}), out(Shape{1, 2, 6});
  BOOST_CHECK_THROW(backend::multi_head_attention_forward(q, q, q, index_t{4}, Tensor<T>{},
                                                          Tensor<T>{}, T(1), out, probs),
                    shape_error);
}

BOOST_AUTO_TEST_SUITE_END()
