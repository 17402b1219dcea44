#pragma once
// Loop helpers for the CPU backend: split element-wise work across OpenMP
// threads only when it is big enough to pay for waking them.
#include <adaptrec/core/shape.hpp>

namespace adaptrec::backend::cpu {

inline constexpr index_t parallel_grain = 1 << 15;

template <class F>
void parallel_for(index_t n, index_t work_per_item, F&& body) {
  [[maybe_unused]] const bool big = n * work_per_item >= parallel_grain && n > 1;
#pragma omp parallel for schedule(static) if (big)
  for (index_t i = 0; i < n; ++i) body(i);
}

}  // namespace adaptrec::backend::cpu
