#pragma once
// Sampled softmax with M negatives shared by the whole batch (Jean et al.,
// ACL 2015; the shared-sample form of Covington et al., RecSys 2016):
//   s_i0 = <q_i, p_i> / tau - log Q(p_i),   s_ij = <q_i, n_j> / tau - log Q(n_j),
//   l_i  = -log softmax(s_i)_0,
// for query i's positive p_i and the negatives n_1..n_M. The log Q terms are
// optional: subtracting the log sampling probability from every logit, true
// class included, makes the sampled softmax an unbiased estimate of the full
// one (Bengio & Senecal 2008; TensorFlow's sampled_softmax_loss). A negative
// that is the query's own positive item (an accidental hit) can be masked by
// passing item ids; its logit becomes -inf and it leaves the softmax.
//
// With G = (softmax(S) - e_0) / N, split into its positive column g and the
// negative block H: dQ = (g * P + H Nneg) / tau, dP = g * Q / tau, dNneg = H^T Q / tau.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/losses/concept.hpp>
#include <adaptrec/losses/detail.hpp>

#include <limits>
#include <vector>

namespace adaptrec::losses {

template <class T = float>
class SampledSoftmax {
 public:
  using scalar_type = T;

  struct Gradients {
    Tensor<T> queries;
    Tensor<T> positives;
    Tensor<T> negatives;
  };

  explicit SampledSoftmax(T temperature = T(1))
      : temperature_(detail::checked_temperature(temperature, name)) {}

  T temperature() const { return temperature_; }

  // queries, positives: [N, D]; negatives: [M, D], shared by every query.
  T forward(const Tensor<T>& queries, const Tensor<T>& positives, const Tensor<T>& negatives) {
    return forward_impl(queries, positives, negatives, nullptr, nullptr, nullptr, nullptr);
  }

  // logQ correction: positive_log_q [N] and negative_log_q [M] are the log
  // sampling probabilities of each positive's and each negative's item.
  T forward(const Tensor<T>& queries, const Tensor<T>& positives, const Tensor<T>& negatives,
            const Tensor<T>& positive_log_q, const Tensor<T>& negative_log_q) {
    return forward_impl(queries, positives, negatives, &positive_log_q, &negative_log_q, nullptr,
                        nullptr);
  }

  // Accidental-hit masking: negative j is dropped for query i when
  // negative_ids[j] == positive_ids[i]. positive_ids [N], negative_ids [M].
  T forward(const Tensor<T>& queries, const Tensor<T>& positives, const Tensor<T>& negatives,
            const Tensor<index_t>& positive_ids, const Tensor<index_t>& negative_ids) {
    return forward_impl(queries, positives, negatives, nullptr, nullptr, &positive_ids,
                        &negative_ids);
  }

  // Gradients of the mean loss with respect to the three inputs.
  Gradients backward() const {
    detail::require_forward(has_forward_, name);
    const index_t n = queries_.dim(0), d = queries_.dim(1);
    const T inv_temperature = T(1) / temperature_;
    Gradients grad{Tensor<T>(queries_.shape()), Tensor<T>(positives_.shape()),
                   Tensor<T>(negatives_.shape())};
    backend::gemm(negative_grad_, backend::Trans::no, negatives_, backend::Trans::no,
                  grad.queries, inv_temperature);
    backend::gemm(negative_grad_, backend::Trans::yes, queries_, backend::Trans::no,
                  grad.negatives, inv_temperature);
    backend::cpu::parallel_for(n, d * 2, [&](index_t i) {
      const T g = positive_grad_[i] * inv_temperature;
      const T* q = queries_.data() + i * d;
      const T* p = positives_.data() + i * d;
      T* dq = grad.queries.data() + i * d;
      T* dp = grad.positives.data() + i * d;
      for (index_t c = 0; c < d; ++c) {
        dq[c] += g * p[c];
        dp[c] = g * q[c];
      }
    });
    return grad;
  }

 private:
  static constexpr const char* name = "SampledSoftmax";

  template <class U>
  static void require_vector(const Tensor<U>* t, index_t length, const char* what,
                             const Tensor<T>& rows_of) {
    if (t && !(t->shape() == Shape{length}))
      throw shape_error(detail::where(name, what) + " of shape " + t->shape().to_string() +
                        " must be [" + std::to_string(length) + "] for rows of shape " +
                        rows_of.shape().to_string());
  }

  T forward_impl(const Tensor<T>& queries, const Tensor<T>& positives, const Tensor<T>& negatives,
                 const Tensor<T>* positive_log_q, const Tensor<T>* negative_log_q,
                 const Tensor<index_t>* positive_ids, const Tensor<index_t>* negative_ids) {
    detail::require_matrix(queries, "queries", name);
    detail::require_same_shape(queries, "queries", positives, "positives", name);
    detail::require_matrix(negatives, "negatives", name);
    if (negatives.dim(1) != queries.dim(1) || negatives.dim(0) == 0)
      throw shape_error(detail::where(name, "negatives") + " of shape " +
                        negatives.shape().to_string() + " must be [M >= 1, " +
                        std::to_string(queries.dim(1)) + "] for queries of shape " +
                        queries.shape().to_string());
    detail::require_nonempty(queries, "queries", name);
    detail::require_finite(queries, name, "queries");
    detail::require_finite(positives, name, "positives");
    detail::require_finite(negatives, name, "negatives");
    const index_t n = queries.dim(0), m = negatives.dim(0), d = queries.dim(1);
    require_vector(positive_log_q, n, "positive_log_q", positives);
    require_vector(negative_log_q, m, "negative_log_q", negatives);
    require_vector(positive_ids, n, "positive_ids", positives);
    require_vector(negative_ids, m, "negative_ids", negatives);
    if (positive_log_q) detail::require_finite(*positive_log_q, name, "positive_log_q");
    if (negative_log_q) detail::require_finite(*negative_log_q, name, "negative_log_q");

    const T inv_temperature = T(1) / temperature_;
    Tensor<T> negative_logits(Shape{n, m});
    backend::gemm(queries, backend::Trans::no, negatives, backend::Trans::yes, negative_logits,
                  inv_temperature);
    // Column 0 holds the positive, columns 1..M the negatives.
    Tensor<T> logits(Shape{n, m + 1});
    constexpr T masked = -std::numeric_limits<T>::infinity();
    backend::cpu::parallel_for(n, m + d, [&](index_t i) {
      const T* q = queries.data() + i * d;
      const T* p = positives.data() + i * d;
      T* row = logits.data() + i * (m + 1);
      T dot = 0;
      for (index_t c = 0; c < d; ++c) dot += q[c] * p[c];
      row[0] = dot * inv_temperature - (positive_log_q ? (*positive_log_q)[i] : T(0));
      const T* s = negative_logits.data() + i * m;
      for (index_t j = 0; j < m; ++j) {
        row[j + 1] = s[j] - (negative_log_q ? (*negative_log_q)[j] : T(0));
        if (positive_ids && (*negative_ids)[j] == (*positive_ids)[i]) row[j + 1] = masked;
      }
    });

    Tensor<T> log_probs(logits.shape());
    backend::log_softmax(logits, log_probs);
    positive_grad_ = Tensor<T>(Shape{n});
    negative_grad_ = std::move(negative_logits);
    const T inv_n = T(1) / T(n);
    std::vector<T> row_loss(static_cast<std::size_t>(n));
    backend::cpu::parallel_for(n, m * 4, [&](index_t i) {
      const T* lp = log_probs.data() + i * (m + 1);
      row_loss[static_cast<std::size_t>(i)] = -lp[0];
      positive_grad_[i] = (std::exp(lp[0]) - T(1)) * inv_n;
      T* h = negative_grad_.data() + i * m;
      for (index_t j = 0; j < m; ++j) h[j] = std::exp(lp[j + 1]) * inv_n;
    });
    detail::accumulator_t<T> total = 0;
    for (T l : row_loss) total += l;

    queries_ = queries;
    positives_ = positives;
    negatives_ = negatives;
    has_forward_ = true;
    return static_cast<T>(total / n);
  }

  T temperature_;
  Tensor<T> queries_, positives_, negatives_;
  Tensor<T> positive_grad_;  // [N], d loss / d s_i0
  Tensor<T> negative_grad_;  // [N, M], d loss / d s_ij
  bool has_forward_ = false;
};

}  // namespace adaptrec::losses
