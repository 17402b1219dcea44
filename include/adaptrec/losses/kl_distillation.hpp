#pragma once
// Knowledge distillation (Hinton et al., 2015, section 2):
//   l = tau^2 * mean_rows KL(softmax(t / tau) || softmax(s / tau))
// for student logits s and teacher logits t. The tau^2 factor keeps the
// gradient's magnitude independent of tau (section 2.1), so a distillation
// term can be mixed with a hard-label loss without retuning its weight.
// d l / d s = tau (softmax(s / tau) - softmax(t / tau)) / rows.
// Teacher logits of -inf (classes the teacher rules out) are allowed.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/losses/concept.hpp>
#include <adaptrec/losses/detail.hpp>

#include <vector>

namespace adaptrec::losses {

template <class T = float>
class KlDistillation {
 public:
  using scalar_type = T;

  explicit KlDistillation(T temperature = T(1))
      : temperature_(detail::checked_temperature(temperature, name)) {}

  T temperature() const { return temperature_; }

  // student_logits, teacher_logits: the same shape [..., C]; softmax runs over
  // the last dimension and the mean over all leading ones.
  T forward(const Tensor<T>& student_logits, const Tensor<T>& teacher_logits) {
    detail::require_same_shape(student_logits, "student logits", teacher_logits,
                               "teacher logits", name);
    if (student_logits.rank() < 1)
      throw shape_error(detail::where(name, "student logits") +
                        " need a class dimension, got shape " +
                        student_logits.shape().to_string());
    detail::require_nonempty(student_logits, "student logits", name);
    detail::require_no_nan(student_logits, name, "student logits");
    detail::require_no_nan(teacher_logits, name, "teacher logits");

    const T inv_temperature = T(1) / temperature_;
    Tensor<T> scaled = student_logits;
    backend::scale(scaled, inv_temperature);
    Tensor<T> student_log_p(scaled.shape());
    backend::log_softmax(scaled, student_log_p);
    scaled = teacher_logits;
    backend::scale(scaled, inv_temperature);
    Tensor<T> teacher_log_p(scaled.shape());
    backend::log_softmax(scaled, teacher_log_p);

    const index_t rows = student_logits.rows(), classes = student_logits.cols();
    const T gradient_scale = temperature_ / T(rows);
    gradient_ = std::move(student_log_p);
    std::vector<T> row_kl(static_cast<std::size_t>(rows));
    backend::cpu::parallel_for(rows, classes * 4, [&](index_t r) {
      T* g = gradient_.data() + r * classes;
      const T* log_pt = teacher_log_p.data() + r * classes;
      T kl = 0;
      for (index_t c = 0; c < classes; ++c) {
        const T pt = std::exp(log_pt[c]);
        // 0 log 0 = 0: a class without teacher mass adds nothing to the KL.
        if (pt > T(0)) kl += pt * (log_pt[c] - g[c]);
        g[c] = gradient_scale * (std::exp(g[c]) - pt);
      }
      row_kl[static_cast<std::size_t>(r)] = kl;
    });
    detail::accumulator_t<T> total = 0;
    for (T kl : row_kl) total += kl;
    has_forward_ = true;
    return static_cast<T>(temperature_ * temperature_ * total / rows);
  }

  // d loss / d student logits, shaped like them.
  Tensor<T> backward() const {
    detail::require_forward(has_forward_, name);
    return gradient_;
  }

 private:
  static constexpr const char* name = "KlDistillation";

  T temperature_;
  Tensor<T> gradient_;
  bool has_forward_ = false;
};

}  // namespace adaptrec::losses
