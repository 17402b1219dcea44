#pragma once
// A trainable (or frozen) tensor with its gradient.
//
// Its full dotted name (`tower.mlp.0.weight`) is not stored here: it is built
// by the module tree when parameters are visited, so a module can be placed
// anywhere in a model and its names follow.
#include <adaptrec/core/tensor.hpp>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace adaptrec {

template <class T = float>
struct Parameter {
  Tensor<T> value;
  Tensor<T> grad;
  bool trainable = true;

  // Embedding tables fill only the rows a batch touched. When `sparse` is set,
  // `touched_rows` lists them (sorted, unique after finalize_sparse_rows), so
  // zero_grad and sparse-aware optimizers visit only those rows.
  bool sparse = false;
  std::vector<index_t> touched_rows;

  Parameter() = default;
  explicit Parameter(const Shape& shape, bool trainable_ = true)
      : value(shape), grad(shape), trainable(trainable_) {}

  const Shape& shape() const { return value.shape(); }
  index_t size() const { return value.size(); }

  // Records that rows `ids[0..n)` received gradient, keeping touched_rows sorted
  // and unique. A per-row mark makes this linear in n; only the distinct rows
  // are sorted (a history batch repeats rows many times).
  void mark_touched_rows(const index_t* ids, index_t n) {
    const auto rows = static_cast<std::size_t>(value.rows());
    if (row_marked_.size() != rows) {
      row_marked_.assign(rows, 0);
      for (index_t r : touched_rows) row_marked_[static_cast<std::size_t>(r)] = 1;
    }
    const std::size_t before = touched_rows.size();
    for (index_t i = 0; i < n; ++i) {
      auto& mark = row_marked_[static_cast<std::size_t>(ids[i])];
      if (!mark) {
        mark = 1;
        touched_rows.push_back(ids[i]);
      }
    }
    if (touched_rows.size() != before) std::sort(touched_rows.begin(), touched_rows.end());
  }

  void zero_grad() {
    if (sparse && !touched_rows.empty()) {
      const index_t cols = grad.cols();
      const bool marked = row_marked_.size() == static_cast<std::size_t>(value.rows());
      for (index_t r : touched_rows) {
        std::fill_n(grad.data() + r * cols, cols, T(0));
        if (marked) row_marked_[static_cast<std::size_t>(r)] = 0;
      }
      touched_rows.clear();
    } else if (!sparse) {
      grad.set_zero();
    }
  }

  void finalize_sparse_rows() {
    std::sort(touched_rows.begin(), touched_rows.end());
    touched_rows.erase(std::unique(touched_rows.begin(), touched_rows.end()), touched_rows.end());
    row_marked_.clear();  // rebuilt from touched_rows on the next mark_touched_rows
  }

 private:
  std::vector<unsigned char> row_marked_;
};

}  // namespace adaptrec
