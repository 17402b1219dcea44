#pragma once
// Row gathers from a table and their scatter-add gradients.
#include <adaptrec/backend/cpu/parallel.hpp>

#include <algorithm>

namespace adaptrec::backend::cpu {

// out[i, :] = table[ids[i], :]. Ids are range-checked by the caller.
template <class T>
void gather_rows(const T* table, const index_t* ids, T* out, index_t n, index_t cols) {
  parallel_for(n, cols, [&](index_t i) {
    std::copy_n(table + ids[i] * cols, cols, out + i * cols);
  });
}

// grad[ids[i], :] += dy[i, :]. Serial: ids repeat, and rows are short.
template <class T>
void scatter_add_rows(const T* dy, const index_t* ids, T* grad, index_t n, index_t cols) {
  for (index_t i = 0; i < n; ++i) {
    T* g = grad + ids[i] * cols;
    const T* d = dy + i * cols;
    for (index_t c = 0; c < cols; ++c) g[c] += d[c];
  }
}

}  // namespace adaptrec::backend::cpu
