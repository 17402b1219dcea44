#pragma once
// The two pieces that mixture-of-experts heads (Mmoe, Ple) are built from:
//
// ExpertGroup: n expert MLPs that read the same input; their outputs are laid
// side by side, [rows, n * width], so a gate can mix them.
//
// GatedMixture: a softmax gate over n experts and the weighted sum it selects,
//   f(x) = sum_i g(x)_i f_i(x),   g(x) = softmax(W_g x)
// (Ma et al., KDD 2018, "Modeling Task Relationships in Multi-task Learning
// with Multi-gate Mixture-of-Experts", eq. 5-6; Tang et al., RecSys 2020,
// "Progressive Layered Extraction", sec. 4.2). The gate's linear map lives in
// the owning head; GatedMixture takes its logits.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/layers/mlp.hpp>
#include <string>
#include <vector>

namespace adaptrec::heads {

// `widths` = hidden and output widths of each expert; every layer, the last
// included, is followed by ReLU, so experts emit features, not logits.
template <class T = float>
class ExpertGroup {
 public:
  ExpertGroup(index_t count, index_t input_dim, const std::vector<index_t>& widths, Rng& rng,
              const std::string& who) {
    if (count <= 0)
      throw invalid_argument(who + ": the number of experts must be positive, got " +
                             std::to_string(count));
    if (widths.empty())
      throw invalid_argument(who + ": expert widths must name at least the output width");
    std::vector<index_t> sizes{input_dim};
    sizes.insert(sizes.end(), widths.begin(), widths.end());
    experts_.reserve(static_cast<std::size_t>(count));
    for (index_t i = 0; i < count; ++i)
      experts_.emplace_back(sizes, rng, backend::Activation::relu, T(0), 0, /*activate_last=*/true);
  }

  index_t count() const { return static_cast<index_t>(experts_.size()); }
  index_t width() const { return experts_.front().out_features(); }
  layers::MLP<T>& expert(index_t i) { return experts_.at(static_cast<std::size_t>(i)); }

  // x [rows, input_dim] -> [rows, count * width]
  Tensor<T> forward(const Tensor<T>& x) {
    if (experts_.size() == 1) return experts_[0].forward(x);
    std::vector<Tensor<T>> outputs;
    outputs.reserve(experts_.size());
    for (auto& e : experts_) outputs.push_back(e.forward(x));
    std::vector<const Tensor<T>*> parts;
    for (const auto& o : outputs) parts.push_back(&o);
    return backend::concat_columns(parts);
  }

  // d_stacked [rows, count * width] -> dx [rows, input_dim]
  Tensor<T> backward(const Tensor<T>& d_stacked) {
    if (experts_.size() == 1) return experts_[0].backward(d_stacked);
    std::vector<Tensor<T>> parts =
        backend::split_columns(d_stacked, std::vector<index_t>(experts_.size(), width()));
    Tensor<T> dx = experts_[0].backward(parts[0]);
    for (std::size_t i = 1; i < experts_.size(); ++i)
      backend::axpy(T(1), experts_[i].backward(parts[i]), dx);
    return dx;
  }

  void train(bool on) {
    for (auto& e : experts_) e.train(on);
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    for (std::size_t i = 0; i < experts_.size(); ++i)
      experts_[i].visit_parameters(f, join_name(prefix, std::to_string(i)));
  }

 private:
  std::vector<layers::MLP<T>> experts_;
};

template <class T = float>
class GatedMixture {
 public:
  struct Gradients {
    Tensor<T> logits;   // [rows, n]
    Tensor<T> stacked;  // [rows, n * width]
  };

  // logits [rows, n], stacked [rows, n * width] -> [rows, width]
  Tensor<T> forward(const Tensor<T>& logits, const Tensor<T>& stacked) {
    const index_t rows = logits.rows(), n = logits.cols();
    if (stacked.rows() != rows || n == 0 || stacked.cols() % n != 0)
      throw shape_error("adaptrec::heads::GatedMixture: gate logits of shape " +
                        logits.shape().to_string() + " do not match experts of shape " +
                        stacked.shape().to_string());
    const index_t width = stacked.cols() / n;
    // As [rows, 1, n] x [rows, n, width]: one small GEMM per row, batched.
    probabilities_ = Tensor<T>(Shape{rows, 1, n});
    backend::softmax(logits.reshaped(Shape{rows, 1, n}), probabilities_);
    stacked_ = stacked.reshaped(Shape{rows, n, width});
    Tensor<T> out(Shape{rows, 1, width});
    backend::batched_gemm(probabilities_, backend::Trans::no, stacked_, backend::Trans::no, out);
    return std::move(out).reshaped(Shape{rows, width});
  }

  // d_out [rows, width] -> gradients of the logits and of the stacked experts.
  Gradients backward(const Tensor<T>& d_out) {
    const index_t rows = stacked_.dim(0), n = stacked_.dim(1), width = stacked_.dim(2);
    require_shape(d_out, Shape{rows, width}, "adaptrec::heads::GatedMixture::backward");
    const Tensor<T> d3 = d_out.reshaped(Shape{rows, 1, width});
    Tensor<T> d_probabilities(Shape{rows, 1, n});
    backend::batched_gemm(d3, backend::Trans::no, stacked_, backend::Trans::yes, d_probabilities);
    Gradients g{Tensor<T>(Shape{rows, 1, n}), Tensor<T>(Shape{rows, n, width})};
    backend::softmax_backward(probabilities_, d_probabilities, g.logits);
    backend::batched_gemm(probabilities_, backend::Trans::yes, d3, backend::Trans::no, g.stacked);
    g.logits.reshape(Shape{rows, n});
    g.stacked.reshape(Shape{rows, n * width});
    return g;
  }

  // The gate weights of the last forward, [rows, 1, n].
  const Tensor<T>& probabilities() const { return probabilities_; }

 private:
  Tensor<T> probabilities_;
  Tensor<T> stacked_;
};

}  // namespace adaptrec::heads
