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

// Pooled bags (PyTorch's EmbeddingBag): bag b covers ids[offsets[b] ..
// offsets[b + 1]) and its row is the weighted sum of those table rows, each
// id weighted by weights[i] when given, else by 1 (sum) or 1/|bag| (mean).
template <class T>
T bag_weight(const T* weights, bool mean, index_t i, index_t bag_size) {
  if (weights) return weights[i];
  return mean ? T(1) / T(bag_size) : T(1);
}

template <class T>
void embedding_bag_forward(const T* table, const index_t* ids, const index_t* offsets,
                           index_t num_bags, index_t num_ids, const T* weights, bool mean, T* out,
                           index_t cols) {
  parallel_for(num_bags, cols * 8, [&](index_t b) {
    T* row = out + b * cols;
    std::fill_n(row, cols, T(0));
    const index_t begin = offsets[b], end = b + 1 < num_bags ? offsets[b + 1] : num_ids;
    for (index_t i = begin; i < end; ++i) {
      const T* src = table + ids[i] * cols;
      const T w = bag_weight(weights, mean, i, end - begin);
      for (index_t c = 0; c < cols; ++c) row[c] += w * src[c];
    }
  });
}

// grad[ids[i], :] += w_i * dy[bag(i), :]. Serial: ids repeat across bags.
template <class T>
void embedding_bag_backward(const T* dy, const index_t* ids, const index_t* offsets,
                            index_t num_bags, index_t num_ids, const T* weights, bool mean,
                            T* grad, index_t cols) {
  for (index_t b = 0; b < num_bags; ++b) {
    const T* d = dy + b * cols;
    const index_t begin = offsets[b], end = b + 1 < num_bags ? offsets[b + 1] : num_ids;
    for (index_t i = begin; i < end; ++i) {
      T* g = grad + ids[i] * cols;
      const T w = bag_weight(weights, mean, i, end - begin);
      for (index_t c = 0; c < cols; ++c) g[c] += w * d[c];
    }
  }
}

}  // namespace adaptrec::backend::cpu
