#pragma once
// Copies a batch of strided row-major matrices into one dense buffer,
// converting each element on the way (to bfloat16 for the bf16 GEMMs).
#include <adaptrec/backend/cpu/parallel.hpp>

#include <vector>

namespace adaptrec::backend::cpu {

// x holds `batch` matrices of rows x cols, row stride ld, `stride` apart; a
// stride of 0 means one matrix shared by all, copied once. Returns them
// packed back to back, out[(b * rows + r) * cols + c] = convert(x[b][r][c]).
template <class Out, class In, class Convert>
std::vector<Out> dense_copy(const In* x, index_t rows, index_t cols, index_t ld, index_t batch,
                            index_t stride, Convert convert) {
  const index_t count = stride == 0 ? 1 : batch;
  std::vector<Out> out(static_cast<std::size_t>(count * rows * cols));
  parallel_for(count * rows, cols, [&](index_t row) {
    const In* source = x + (row / rows) * stride + (row % rows) * ld;
    Out* target = out.data() + row * cols;
    for (index_t c = 0; c < cols; ++c) target[c] = convert(source[c]);
  });
  return out;
}

}  // namespace adaptrec::backend::cpu
