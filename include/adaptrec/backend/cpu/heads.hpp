#pragma once
// The head layout change of multi-head attention on the CPU: projections give
// [B, S, H*D] (heads side by side in each token's row), attention works per
// (batch, head) on contiguous [S, D] blocks, i.e. [B, H, S, D].
#include <adaptrec/backend/cpu/parallel.hpp>

#include <algorithm>

namespace adaptrec::backend::cpu {

// out[b, h, i, :] = x[b, i, h*D : (h+1)*D]
template <class T>
void split_heads(const T* x, T* out, index_t batch, index_t seq, index_t heads,
                 index_t head_dim) {
  parallel_for(batch * seq, heads * head_dim, [&](index_t row) {
    const index_t b = row / seq, i = row % seq;
    const T* from = x + row * heads * head_dim;
    for (index_t h = 0; h < heads; ++h)
      std::copy_n(from + h * head_dim, head_dim, out + ((b * heads + h) * seq + i) * head_dim);
  });
}

// out[b, i, h*D : (h+1)*D] = x[b, h, i, :]
template <class T>
void merge_heads(const T* x, T* out, index_t batch, index_t seq, index_t heads,
                 index_t head_dim) {
  parallel_for(batch * seq, heads * head_dim, [&](index_t row) {
    const index_t b = row / seq, i = row % seq;
    T* to = out + row * heads * head_dim;
    for (index_t h = 0; h < heads; ++h)
      std::copy_n(x + ((b * heads + h) * seq + i) * head_dim, head_dim, to + h * head_dim);
  });
}

}  // namespace adaptrec::backend::cpu
