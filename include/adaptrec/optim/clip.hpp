#pragma once
// Gradient clipping by global L2 norm (Pascanu, Mikolov & Bengio, ICML 2013),
// with the semantics of torch.nn.utils.clip_grad_norm_: the norm is taken over
// all trainable parameters' gradients together, and when it exceeds max_norm
// every one of them is scaled by max_norm / (norm + 1e-6).
#include <adaptrec/optim/parameter_list.hpp>

#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

namespace adaptrec::optim {

namespace detail {

// Summed serially in double, so the norm does not depend on the thread count
// and a float gradient's squared norm cannot overflow.
template <class T>
double gradient_squared_norm(const Parameter<T>& p) {
  if (!p.sparse) return p.grad.flat().template cast<double>().squaredNorm();
  const index_t cols = p.grad.cols();
  double squares = 0;
  for (index_t r : p.touched_rows)
    squares +=
        ConstVectorMap<T>(p.grad.data() + r * cols, cols).template cast<double>().squaredNorm();
  return squares;
}

}  // namespace detail

// Returns the global norm before clipping. Frozen parameters are left out of
// the norm and left alone; a sparse parameter contributes its touched rows
// only (its other rows are zero by contract). `params` is a list of handles:
// the gradients it points to change, the list itself does not.
// Throws invalid_argument naming the parameter whose gradient is not finite.
template <class T>
T clip_grad_norm(const std::vector<NamedParameter<T>>& params, std::type_identity_t<T> max_norm) {
  if (!(max_norm > 0) || !std::isfinite(max_norm))
    throw invalid_argument("adaptrec::optim::clip_grad_norm: max_norm " +
                           detail::format_number(static_cast<double>(max_norm)) +
                           " must be finite and positive");
  double squared_norm = 0;
  for (const NamedParameter<T>& named : params) {
    if (named.parameter == nullptr)
      throw invalid_argument("adaptrec::optim::clip_grad_norm: parameter '" + named.name +
                             "' is a null pointer");
    const Parameter<T>& p = *named.parameter;
    if (!p.trainable) continue;
    if (p.sparse) detail::require_valid_touched_rows(named, "clip_grad_norm");
    const double squares = detail::gradient_squared_norm(p);
    if (!std::isfinite(squares))
      throw invalid_argument("adaptrec::optim::clip_grad_norm: the gradient of parameter '" +
                             named.name + "' contains NaN or infinity");
    squared_norm += squares;
  }
  const double norm = std::sqrt(squared_norm);
  const double coefficient = static_cast<double>(max_norm) / (norm + 1e-6);
  if (coefficient < 1) {
    const T scale = static_cast<T>(coefficient);
    for (const NamedParameter<T>& named : params) {
      Parameter<T>& p = *named.parameter;
      if (!p.trainable) continue;
      T* g = p.grad.data();
      detail::for_each_span(p, p.sparse, [=](index_t offset, index_t count) {
        for (index_t k = offset; k < offset + count; ++k) g[k] *= scale;
      });
    }
  }
  return static_cast<T>(norm);
}

}  // namespace adaptrec::optim
