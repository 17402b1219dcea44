#pragma once
// Multi-layer perceptron whose depth is chosen at run time (from a config):
// Linear -> activation -> [Dropout] -> Linear -> ... -> Linear [-> activation].
// Parameter names are the indices PyTorch's nn.Sequential gives that same
// stack, so `0.weight`, `3.weight` (with dropout) or `2.weight` (without) load
// straight from a PyTorch state dict.
#include <adaptrec/layers/activation.hpp>
#include <adaptrec/layers/dropout.hpp>
#include <adaptrec/layers/linear.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace adaptrec::layers {

template <class T = float>
class MLP {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  // sizes = {in, hidden..., out}. Dropout with probability `dropout` follows
  // every hidden activation (not the output); each Dropout layer gets its own
  // stream derived from dropout_seed.
  MLP(std::vector<index_t> sizes, Rng& rng,
      backend::Activation hidden = backend::Activation::relu, T dropout = T(0),
      std::uint64_t dropout_seed = 0, bool activate_last = false) {
    if (sizes.size() < 2)
      throw invalid_argument("adaptrec::layers::MLP: sizes needs at least {in, out}, got " +
                             std::to_string(sizes.size()) + " entries");
    for (std::size_t i = 0; i < sizes.size(); ++i)
      if (sizes[i] <= 0)
        throw invalid_argument("adaptrec::layers::MLP: sizes[" + std::to_string(i) + "] = " +
                               std::to_string(sizes[i]) + " must be positive");
    if (!(dropout >= T(0) && dropout < T(1)))
      throw invalid_argument("adaptrec::layers::MLP: dropout must be in [0, 1), got " +
                             std::to_string(dropout));
    const std::size_t n_linear = sizes.size() - 1;
    const std::size_t n_activation = activate_last ? n_linear : n_linear - 1;
    const std::size_t n_dropout = dropout > T(0) ? n_linear - 1 : 0;
    std::size_t position = 0;
    for (std::size_t i = 0; i < n_linear; ++i) {
      linears_.emplace_back(sizes[i], sizes[i + 1], rng);
      linear_positions_.push_back(position++);
      if (i < n_activation) {
        activations_.emplace_back(hidden);
        ++position;
      }
      if (i < n_dropout) {
        dropouts_.emplace_back(dropout, dropout_stream_seed(dropout_seed, i));
        ++position;
      }
    }
  }

  index_t in_features() const { return linears_.front().in_features(); }
  index_t out_features() const { return linears_.back().out_features(); }
  std::size_t num_linear() const { return linears_.size(); }
  Linear<T>& linear(std::size_t i) { return linears_.at(i); }

  // Restarts every Dropout layer's mask sequence (for reproducible checks).
  void reseed(std::uint64_t dropout_seed) {
    for (std::size_t i = 0; i < dropouts_.size(); ++i)
      dropouts_[i].reseed(dropout_stream_seed(dropout_seed, i));
  }

  // x: [..., in] -> [..., out]
  Tensor<T> forward(const Tensor<T>& x) {
    Tensor<T> h = linears_[0].forward(x);
    for (std::size_t i = 0;; ++i) {
      if (i < activations_.size()) h = activations_[i].forward(h);
      if (i < dropouts_.size()) h = dropouts_[i].forward(h);
      if (i + 1 == linears_.size()) return h;
      h = linears_[i + 1].forward(h);
    }
  }

  // dy: [..., out] -> dx: [..., in]
  Tensor<T> backward(const Tensor<T>& dy) {
    Tensor<T> g;
    const Tensor<T>* current = &dy;
    for (std::size_t i = linears_.size(); i-- > 0;) {
      if (i < dropouts_.size()) {
        g = dropouts_[i].backward(*current);
        current = &g;
      }
      if (i < activations_.size()) {
        g = activations_[i].backward(*current);
        current = &g;
      }
      g = linears_[i].backward(*current);
      current = &g;
    }
    return g;
  }

  void train(bool on = true) {
    training_ = on;
    for (auto& d : dropouts_) d.train(on);
    for (auto& a : activations_) a.train(on);
    for (auto& l : linears_) l.train(on);
  }
  void eval() { train(false); }
  bool is_training() const { return training_; }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    for (std::size_t i = 0; i < linears_.size(); ++i)
      linears_[i].visit_parameters(f, join_name(prefix, std::to_string(linear_positions_[i])));
  }

 private:
  // SplitMix64 (Steele, Lea & Flood, 2014) turns the user's seed and the layer
  // index into well-separated Mersenne Twister seeds.
  static std::uint64_t dropout_stream_seed(std::uint64_t seed, std::size_t layer) {
    std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(layer) + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  std::vector<Linear<T>> linears_;
  std::vector<std::size_t> linear_positions_;
  std::vector<DynamicActivation<T>> activations_;
  std::vector<Dropout<T>> dropouts_;
  bool training_ = true;
};

}  // namespace adaptrec::layers
