#pragma once
// Multi-class cross-entropy on logits [N, C] with integer labels [N]:
//   l_i = -sum_c q_ic log softmax(x_i)_c,  q_i = (1 - eps) onehot(y_i) + eps / C,
// with optional label smoothing eps (Szegedy et al., CVPR 2016, section 7).
// log softmax comes from the backend's log-sum-exp form, so logits of any
// magnitude stay finite. d l_i / d x_i = softmax(x_i) - q_i.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/losses/concept.hpp>
#include <adaptrec/losses/detail.hpp>

#include <vector>

namespace adaptrec::losses {

template <class T = float>
class SoftmaxCrossEntropy {
 public:
  using scalar_type = T;

  explicit SoftmaxCrossEntropy(T label_smoothing = T(0)) : label_smoothing_(label_smoothing) {
    if (!(label_smoothing >= T(0) && label_smoothing < T(1)))
      throw invalid_argument(detail::where(name, "label smoothing") + " must lie in [0, 1), got " +
                             std::to_string(label_smoothing));
  }

  T label_smoothing() const { return label_smoothing_; }

  // logits [N, C]; labels [N] with values in [0, C). Returns the mean over rows.
  T forward(const Tensor<T>& logits, const Tensor<index_t>& labels) {
    detail::require_matrix(logits, "logits", name);
    if (labels.rank() != 1 || labels.dim(0) != logits.dim(0))
      throw shape_error(detail::where(name, "logits") + " of shape " + logits.shape().to_string() +
                        " need labels of shape [" + std::to_string(logits.dim(0)) + "], got " +
                        labels.shape().to_string());
    detail::require_nonempty(logits, "logits", name);
    detail::require_no_nan(logits, name, "logits");
    const index_t rows = logits.dim(0), classes = logits.dim(1);
    for (index_t i = 0; i < rows; ++i)
      if (labels[i] < 0 || labels[i] >= classes)
        throw index_error(detail::where(name, "label ") + std::to_string(labels[i]) +
                          " at position " + std::to_string(i) + " is outside [0, " +
                          std::to_string(classes) + ") for logits of shape " +
                          logits.shape().to_string());

    // The log-probabilities are overwritten in place by the gradient.
    gradient_ = Tensor<T>(logits.shape());
    backend::log_softmax(logits, gradient_);
    const T on_label = T(1) - label_smoothing_;
    const T uniform = label_smoothing_ / T(classes);
    const T inv_rows = T(1) / T(rows);
    std::vector<T> row_loss(static_cast<std::size_t>(rows));
    backend::cpu::parallel_for(rows, classes * 4, [&](index_t i) {
      T* g = gradient_.data() + i * classes;
      const index_t y = labels[i];
      T loss = -on_label * g[y];
      if (uniform != T(0)) {
        T sum_log_p = 0;
        for (index_t c = 0; c < classes; ++c) sum_log_p += g[c];
        loss -= uniform * sum_log_p;
      }
      row_loss[static_cast<std::size_t>(i)] = loss;
      for (index_t c = 0; c < classes; ++c) g[c] = (std::exp(g[c]) - uniform) * inv_rows;
      g[y] -= on_label * inv_rows;
    });
    detail::accumulator_t<T> total = 0;
    for (T l : row_loss) total += l;
    has_forward_ = true;
    return static_cast<T>(total / rows);
  }

  // d mean loss / d logits, [N, C].
  Tensor<T> backward() const {
    detail::require_forward(has_forward_, name);
    return gradient_;
  }

 private:
  static constexpr const char* name = "SoftmaxCrossEntropy";

  T label_smoothing_;
  Tensor<T> gradient_;
  bool has_forward_ = false;
};

}  // namespace adaptrec::losses
