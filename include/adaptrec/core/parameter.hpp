#pragma once
// A trainable (or frozen) tensor with its gradient.
//
// Its full dotted name (`tower.mlp.0.weight`) is not stored here: it is built
// by the module tree when parameters are visited, so a module can be placed
// anywhere in a model and its names follow.
#include <adaptrec/core/tensor.hpp>

#include <algorithm>
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

  void zero_grad() {
    if (sparse && !touched_rows.empty()) {
      const index_t cols = grad.cols();
      for (index_t r : touched_rows) std::fill_n(grad.data() + r * cols, cols, T(0));
      touched_rows.clear();
    } else if (!sparse) {
      grad.set_zero();
    }
  }

  void finalize_sparse_rows() {
    std::sort(touched_rows.begin(), touched_rows.end());
    touched_rows.erase(std::unique(touched_rows.begin(), touched_rows.end()), touched_rows.end());
  }
};

}  // namespace adaptrec
