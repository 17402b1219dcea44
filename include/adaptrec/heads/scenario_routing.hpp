#pragma once
// The rows of a batch grouped by scenario, once per forward.
//
// Scenario-aware heads keep weights per scenario. Running each row through its
// own scenario's weights one row at a time would turn every GEMM into a
// matrix-vector product; instead the rows of one scenario are gathered into a
// block, that scenario's weights run on the block in one GEMM, and the results
// are scattered back. A batch that comes from a single scenario (the common
// case when batches are drawn per scenario) skips the gather and the scatter.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/tensor.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace adaptrec::heads {

// Throws shape_error naming `who` and the shape unless x is [batch, input_dim].
template <class T>
void require_head_input(const Tensor<T>& x, index_t input_dim, const std::string& who) {
  if (x.rank() != 2 || x.dim(1) != input_dim)
    throw shape_error(who + ": input of shape " + x.shape().to_string() +
                      " is not [batch, input_dim=" + std::to_string(input_dim) + "]");
}

// Throws invalid_argument naming `who` and the option unless value > 0.
inline void require_positive(const std::string& who, const char* option, index_t value) {
  if (value <= 0)
    throw invalid_argument(who + ": " + option + " must be positive, got " + std::to_string(value));
}

inline void require_positive_widths(const std::string& who, const char* option,
                                    const std::vector<index_t>& widths) {
  for (std::size_t i = 0; i < widths.size(); ++i)
    if (widths[i] <= 0)
      throw invalid_argument(who + ": " + option + "[" + std::to_string(i) +
                             "] = " + std::to_string(widths[i]) + " must be positive");
}

// {first, middle..., last}: the layer sizes of an MLP.
inline std::vector<index_t> layer_sizes(index_t first, const std::vector<index_t>& middle,
                                        index_t last) {
  std::vector<index_t> sizes{first};
  sizes.insert(sizes.end(), middle.begin(), middle.end());
  sizes.push_back(last);
  return sizes;
}

class ScenarioRouting {
 public:
  ScenarioRouting() = default;

  // Checks that there is one id per row of a [batch, ...] input (shape_error
  // naming both counts) and that each is in [0, num_scenarios) (index_error
  // naming the row and the id); `who` starts every message.
  ScenarioRouting(std::span<const index_t> scenario, const Shape& input_shape,
                  index_t num_scenarios, const std::string& who)
      : batch_(input_shape.rank() ? input_shape[0] : 0), num_scenarios_(num_scenarios) {
    if (static_cast<index_t>(scenario.size()) != batch_)
      throw shape_error(who + ": " + std::to_string(scenario.size()) +
                        " scenario ids for an input of shape " + input_shape.to_string() +
                        " (one id per row expected)");
    std::vector<index_t> counts(static_cast<std::size_t>(num_scenarios), 0);
    for (index_t row = 0; row < batch_; ++row) {
      const index_t s = scenario[static_cast<std::size_t>(row)];
      if (s < 0 || s >= num_scenarios)
        throw index_error(who + ": scenario id " + std::to_string(s) + " in row " +
                          std::to_string(row) + " is outside [0, " + std::to_string(num_scenarios) +
                          ")");
      ++counts[static_cast<std::size_t>(s)];
    }
    rows_.resize(static_cast<std::size_t>(num_scenarios));
    std::vector<index_t> filled(static_cast<std::size_t>(num_scenarios), 0);
    for (index_t s = 0; s < num_scenarios; ++s)
      if (counts[static_cast<std::size_t>(s)] > 0) {
        active_.push_back(s);
        rows_[static_cast<std::size_t>(s)] =
            Tensor<index_t>(Shape{counts[static_cast<std::size_t>(s)]});
      }
    for (index_t row = 0; row < batch_; ++row) {
      const auto s = static_cast<std::size_t>(scenario[static_cast<std::size_t>(row)]);
      rows_[s][filled[s]++] = row;
    }
  }

  index_t batch() const { return batch_; }
  index_t num_scenarios() const { return num_scenarios_; }
  // Scenarios with at least one row in the batch, ascending.
  const std::vector<index_t>& active() const { return active_; }
  bool is_active(index_t s) const { return count(s) > 0; }
  // The whole batch comes from one scenario: no gather or scatter needed.
  bool single() const { return active_.size() == 1; }
  index_t count(index_t s) const { return rows_.empty() ? 0 : rows_[at(s)].size(); }
  // The rows of scenario s, ascending.
  const Tensor<index_t>& rows(index_t s) const { return rows_[at(s)]; }

  // The rows of x [batch, cols] that belong to scenario s: x itself when the
  // whole batch is s, else a gathered copy kept in `storage`.
  template <class T>
  const Tensor<T>& select(const Tensor<T>& x, index_t s, Tensor<T>& storage) const {
    if (single()) return x;
    storage = Tensor<T>(Shape{count(s), x.cols()});
    backend::gather_rows(x, rows(s), storage);
    return storage;
  }

  // Writes `part` (scenario s's rows) into out [batch, cols], which holds
  // zeros in those rows; with a single scenario `part` becomes out.
  template <class T>
  void place(Tensor<T>&& part, index_t s, Tensor<T>& out) const {
    if (single()) {
      out = std::move(part);
      return;
    }
    backend::scatter_add_rows(part, rows(s), out);
  }

  // out [batch, cols] rows of scenario s += part.
  template <class T>
  void add(const Tensor<T>& part, index_t s, Tensor<T>& out) const {
    if (single()) {
      backend::axpy(T(1), part, out);
      return;
    }
    backend::scatter_add_rows(part, rows(s), out);
  }

 private:
  std::size_t at(index_t s) const {
    if (s < 0 || s >= num_scenarios_)
      throw index_error("adaptrec::heads::ScenarioRouting: scenario " + std::to_string(s) +
                        " is outside [0, " + std::to_string(num_scenarios_) + ")");
    return static_cast<std::size_t>(s);
  }

  index_t batch_ = 0;
  index_t num_scenarios_ = 0;
  std::vector<index_t> active_;
  std::vector<Tensor<index_t>> rows_;
};

}  // namespace adaptrec::heads
