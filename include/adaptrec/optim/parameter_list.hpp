#pragma once
// What every optimizer shares: the list of parameters it updates, option
// checks, the cheap non-finite gradient check, and the walk over the spans of a
// parameter that an update visits (all elements, or the touched rows of a
// row-sparse embedding table).
// The element-wise kernels that run on those spans are in backend/cpu/optimizer.hpp.
#include <adaptrec/backend/cpu/parallel.hpp>
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/module.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace adaptrec::optim::detail {

inline std::string format_number(double value) {
  std::ostringstream s;
  s << value;
  return s.str();
}

// Throws invalid_argument "adaptrec::optim::<optimizer>: option <option> = <value> <requirement>"
// unless `ok`. Callers write their tests so that NaN fails them (`!(x >= 0)`).
inline void require_option(bool ok, const char* optimizer, const char* option, double value,
                           const char* requirement) {
  if (!ok)
    throw invalid_argument(std::string("adaptrec::optim::") + optimizer + ": option " + option +
                           " = " + format_number(value) + " " + requirement);
}

inline void require_learning_rate(double learning_rate, const char* optimizer) {
  require_option(learning_rate >= 0 && std::isfinite(learning_rate), optimizer, "learning_rate",
                 learning_rate, "must be finite and non-negative");
}

// Checks a sparse parameter's touched_rows: in range and strictly increasing,
// so that row-wise updates visit each row once.
template <class T>
void require_valid_touched_rows(const NamedParameter<T>& named, const char* caller) {
  const Parameter<T>& p = *named.parameter;
  const index_t rows = p.value.rows();
  index_t previous = -1;
  for (index_t r : p.touched_rows) {
    if (r < 0 || r >= rows)
      throw index_error(std::string("adaptrec::optim::") + caller + ": parameter '" + named.name +
                        "' lists touched row " + std::to_string(r) + " outside its shape " +
                        p.shape().to_string());
    if (r <= previous)
      throw invalid_argument(std::string("adaptrec::optim::") + caller + ": parameter '" +
                             named.name +
                             "' has unsorted or repeated touched_rows (call finalize_sparse_rows)");
    previous = r;
  }
}

// Calls update(offset, count) on contiguous spans covering the elements a step
// visits: every element, or, when `touched_rows_only`, the listed rows of a
// sparse parameter. Spans are disjoint, so they run in parallel.
template <class T, class Update>
void for_each_span(const Parameter<T>& p, bool touched_rows_only, Update&& update) {
  if (touched_rows_only) {
    const index_t cols = p.value.cols();
    const std::vector<index_t>& rows = p.touched_rows;
    backend::cpu::parallel_for(static_cast<index_t>(rows.size()), cols, [&](index_t i) {
      update(rows[static_cast<std::size_t>(i)] * cols, cols);
    });
    return;
  }
  constexpr index_t block = 4096;
  const index_t n = p.size();
  backend::cpu::parallel_for((n + block - 1) / block, block, [&](index_t b) {
    const index_t begin = b * block;
    update(begin, std::min(block, n - begin));
  });
}

// Sum of the gradient over the spans a step visits. One NaN or infinity makes
// the sum non-finite, so a single test per parameter catches them without a
// branch per element.
template <class T>
double gradient_sum(const Parameter<T>& p, bool touched_rows_only) {
  if (!touched_rows_only) return static_cast<double>(p.grad.flat().sum());
  const index_t cols = p.grad.cols();
  double sum = 0;
  for (index_t r : p.touched_rows)
    sum += static_cast<double>(ConstVectorMap<T>(p.grad.data() + r * cols, cols).sum());
  return sum;
}

// The parameters one optimizer updates, checked once at construction.
template <class T>
class ParameterList {
 public:
  ParameterList(std::vector<NamedParameter<T>> params, const char* optimizer)
      : params_(std::move(params)), optimizer_(optimizer) {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const NamedParameter<T>& named = params_[i];
      if (named.parameter == nullptr)
        throw invalid_argument(std::string("adaptrec::optim::") + optimizer_ + ": parameter " +
                               std::to_string(i) + " ('" + named.name + "') is a null pointer");
      const Parameter<T>& p = *named.parameter;
      if (!(p.grad.shape() == p.value.shape()))
        throw shape_error(std::string("adaptrec::optim::") + optimizer_ + ": parameter '" +
                          named.name + "' has value shape " + p.value.shape().to_string() +
                          " but gradient shape " + p.grad.shape().to_string());
      if (!p.value.device().is_cpu())
        throw error(std::string("adaptrec::optim::") + optimizer_ + ": parameter '" + named.name +
                    "' is on " + p.value.device().to_string() +
                    " and this build has no optimizer kernel for it");
    }
    require_distinct();
  }

  std::size_t size() const { return params_.size(); }
  const NamedParameter<T>& operator[](std::size_t i) const { return params_[i]; }
  Parameter<T>& parameter(std::size_t i) const { return *params_[i].parameter; }
  const char* optimizer_name() const { return optimizer_; }

  void zero_grad() {
    for (NamedParameter<T>& named : params_) named.parameter->zero_grad();
  }

  // Validates every trainable parameter's gradient before any of them moves,
  // so a step that throws leaves parameters and optimizer state untouched.
  // `touched_rows_only(p)` says whether the step visits only a sparse
  // parameter's touched rows (elsewhere the gradient is zero by contract).
  template <class TouchedRowsOnly>
  void require_finite_gradients(TouchedRowsOnly&& touched_rows_only) const {
    for (const NamedParameter<T>& named : params_) {
      const Parameter<T>& p = *named.parameter;
      if (!p.trainable) continue;
      if (p.sparse) require_valid_touched_rows(named, optimizer_);
      if (!std::isfinite(gradient_sum(p, touched_rows_only(p))))
        throw invalid_argument(std::string("adaptrec::optim::") + optimizer_ +
                               ": the gradient of parameter '" + named.name +
                               "' contains NaN or infinity");
    }
  }

 private:
  // The same parameter listed twice would be updated twice per step.
  void require_distinct() const {
    std::vector<std::pair<const Parameter<T>*, std::size_t>> seen;
    seen.reserve(params_.size());
    for (std::size_t i = 0; i < params_.size(); ++i) seen.emplace_back(params_[i].parameter, i);
    std::sort(seen.begin(), seen.end(), [](const auto& a, const auto& b) {
      return std::less<const Parameter<T>*>{}(a.first, b.first);
    });
    for (std::size_t i = 1; i < seen.size(); ++i)
      if (seen[i].first == seen[i - 1].first)
        throw invalid_argument(std::string("adaptrec::optim::") + optimizer_ + ": parameter '" +
                               params_[seen[i].second].name + "' is listed twice (also as '" +
                               params_[seen[i - 1].second].name + "')");
  }

  std::vector<NamedParameter<T>> params_;
  const char* optimizer_;
};

}  // namespace adaptrec::optim::detail
