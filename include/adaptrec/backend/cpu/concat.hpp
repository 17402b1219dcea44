#pragma once
// Column-wise concatenation of row-aligned matrices, and its inverse.
#include <adaptrec/backend/cpu/parallel.hpp>

#include <algorithm>
#include <vector>

namespace adaptrec::backend::cpu {

// out[r, offset_i : offset_i + cols_i] = parts_i[r, :]
template <class T>
void concat_columns(const std::vector<const T*>& parts, const std::vector<index_t>& part_cols,
                    T* out, index_t rows, index_t out_cols) {
  parallel_for(rows, out_cols, [&](index_t r) {
    T* dst = out + r * out_cols;
    for (std::size_t p = 0; p < parts.size(); ++p) {
      std::copy_n(parts[p] + r * part_cols[p], part_cols[p], dst);
      dst += part_cols[p];
    }
  });
}

// parts_i[r, :] = in[r, offset_i : offset_i + cols_i]
template <class T>
void split_columns(const T* in, index_t rows, index_t in_cols, const std::vector<T*>& parts,
                   const std::vector<index_t>& part_cols) {
  parallel_for(rows, in_cols, [&](index_t r) {
    const T* src = in + r * in_cols;
    for (std::size_t p = 0; p < parts.size(); ++p) {
      std::copy_n(src, part_cols[p], parts[p] + r * part_cols[p]);
      src += part_cols[p];
    }
  });
}

}  // namespace adaptrec::backend::cpu
