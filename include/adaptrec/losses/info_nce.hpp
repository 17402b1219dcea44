#pragma once
// InfoNCE with in-batch negatives (Oord et al., 2018, eq. 4), the batch
// softmax of two-tower retrieval (Yi et al., RecSys 2019, section 3):
//   s_ij = <q_i, k_j> / tau - log Q_j,   l_i = -log softmax(s_i)_i,
// where key i is query i's positive and every other key in the batch is a
// negative. log Q_j, the log probability that item j was sampled into the
// batch, is the logQ correction of Yi et al. (eq. 3): popular items appear as
// negatives more often than a full softmax would weigh them, and subtracting
// log Q_j from every logit (positive included) removes that bias.
//
// Accidental hits: when key j != i carries the same item id as key i, it is
// the positive again and must not be pushed away; its logit is set to -inf so
// that it leaves the softmax (TensorFlow Recommenders' remove_accidental_hits).
//
// With G = (softmax(S) - I) / N the gradients are dQ = G K / tau, dK = G^T Q / tau.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/losses/concept.hpp>
#include <adaptrec/losses/detail.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace adaptrec::losses {

template <class T = float>
class InfoNce {
 public:
  using scalar_type = T;
  using PairGrad = losses::PairGrad<T>;

  explicit InfoNce(T temperature = T(0.1))
      : temperature_(detail::checked_temperature(temperature, name)) {}

  T temperature() const { return temperature_; }

  // queries, keys: [N, D]; row i of keys is the positive for query i.
  T forward(const Tensor<T>& queries, const Tensor<T>& keys) {
    return forward_impl(queries, keys, nullptr, nullptr);
  }

  // key_log_q: [N], log sampling probability of each key's item (logQ correction).
  T forward(const Tensor<T>& queries, const Tensor<T>& keys, const Tensor<T>& key_log_q) {
    return forward_impl(queries, keys, &key_log_q, nullptr);
  }

  // key_ids: [N], item id of each key; in-batch duplicates of a query's
  // positive are masked out of its negatives.
  T forward(const Tensor<T>& queries, const Tensor<T>& keys, const Tensor<index_t>& key_ids) {
    return forward_impl(queries, keys, nullptr, &key_ids);
  }

  T forward(const Tensor<T>& queries, const Tensor<T>& keys, const Tensor<T>& key_log_q,
            const Tensor<index_t>& key_ids) {
    return forward_impl(queries, keys, &key_log_q, &key_ids);
  }

  // {d mean loss / d queries, d mean loss / d keys}, each [N, D].
  PairGrad backward() const {
    detail::require_forward(has_forward_, name);
    PairGrad grad{Tensor<T>(queries_.shape()), Tensor<T>(keys_.shape())};
    const T inv_temperature = T(1) / temperature_;
    backend::gemm(logit_grad_, backend::Trans::no, keys_, backend::Trans::no, grad.first,
                  inv_temperature);
    backend::gemm(logit_grad_, backend::Trans::yes, queries_, backend::Trans::no, grad.second,
                  inv_temperature);
    return grad;
  }

 private:
  static constexpr const char* name = "InfoNce";

  T forward_impl(const Tensor<T>& queries, const Tensor<T>& keys, const Tensor<T>* key_log_q,
                 const Tensor<index_t>* key_ids) {
    detail::require_matrix(queries, "queries", name);
    detail::require_same_shape(queries, "queries", keys, "keys", name);
    detail::require_nonempty(queries, "queries", name);
    detail::require_finite(queries, name, "queries");
    detail::require_finite(keys, name, "keys");
    const index_t n = queries.dim(0);
    const Shape per_key{n};
    if (key_log_q) {
      if (!(key_log_q->shape() == per_key))
        throw shape_error(detail::where(name, "key_log_q") + " of shape " +
                          key_log_q->shape().to_string() + " must be " + per_key.to_string() +
                          " for keys of shape " + keys.shape().to_string());
      detail::require_finite(*key_log_q, name, "key_log_q");
    }
    if (key_ids && !(key_ids->shape() == per_key))
      throw shape_error(detail::where(name, "key_ids") + " of shape " +
                        key_ids->shape().to_string() + " must be " + per_key.to_string() +
                        " for keys of shape " + keys.shape().to_string());

    Tensor<T> logits(Shape{n, n});
    backend::gemm(queries, backend::Trans::no, keys, backend::Trans::yes, logits,
                  T(1) / temperature_);
    constexpr T masked = -std::numeric_limits<T>::infinity();
    if (key_log_q || key_ids) {
      backend::cpu::parallel_for(n, n, [&](index_t i) {
        T* row = logits.data() + i * n;
        if (key_log_q)
          for (index_t j = 0; j < n; ++j) row[j] -= (*key_log_q)[j];
        if (key_ids)
          for (index_t j = 0; j < n; ++j)
            if (j != i && (*key_ids)[j] == (*key_ids)[i]) row[j] = masked;
      });
    }

    // Probabilities P (one vectorised exp pass), overwritten in place by
    // G = (P - I) / N. The loss of row i is -log P_ii; where P_ii underflowed
    // to 0 the row's log-sum-exp is recomputed exactly.
    logit_grad_ = Tensor<T>(logits.shape());
    backend::softmax(logits, logit_grad_);
    const T inv_n = T(1) / T(n);
    std::vector<T> row_loss(static_cast<std::size_t>(n));
    backend::cpu::parallel_for(n, n * 2, [&](index_t i) {
      T* g = logit_grad_.data() + i * n;
      const T p = g[i];
      row_loss[static_cast<std::size_t>(i)] =
          p > T(0) ? -std::log(p) : exact_row_loss(logits.data() + i * n, i, n);
      for (index_t j = 0; j < n; ++j) g[j] *= inv_n;
      g[i] -= inv_n;
    });
    detail::accumulator_t<T> total = 0;
    for (T l : row_loss) total += l;

    queries_ = queries;
    keys_ = keys;
    has_forward_ = true;
    return static_cast<T>(total / n);
  }

  // -log softmax(row)_i by log-sum-exp, for a positive whose probability
  // underflowed.
  static T exact_row_loss(const T* row, index_t i, index_t n) {
    T max = row[0];
    for (index_t j = 1; j < n; ++j) max = std::max(max, row[j]);
    detail::accumulator_t<T> sum = 0;
    for (index_t j = 0; j < n; ++j)
      sum += std::exp(static_cast<detail::accumulator_t<T>>(row[j] - max));
    return static_cast<T>(std::log(sum) - (row[i] - max));
  }

  T temperature_;
  Tensor<T> queries_, keys_, logit_grad_;
  bool has_forward_ = false;
};

}  // namespace adaptrec::losses
