#pragma once
// Gated fusion, the Gated Multimodal Unit of Arevalo et al., "Gated Multimodal
// Units for Information Fusion" (ICLR workshop 2017, sec. 3), generalised from
// two sources to n:
//   p_i = P_i x_i                         (Linear `projections.i`, to width d)
//   g   = sigmoid(W_g [x_1; ...; x_n] + b_g)  (Linear `gate`, to n d)
//   y   = sum_i g_i ⊙ p_i                 (g_i: the i-th block of d gates)
// Each source gets its own gate per example and per dimension, computed from
// all sources together, so the model can lean on the text vector for a cold
// item and on the ID embedding for a popular one. Unlike the two-source GMU
// (z and 1 - z), the n gates are independent sigmoids, and the projections
// are linear; an activation belongs to whatever consumes y.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/fusion/detail.hpp>
#include <adaptrec/layers/activation.hpp>
#include <adaptrec/layers/linear.hpp>

#include <string>
#include <utility>
#include <vector>

namespace adaptrec::fusion {

template <class T = float>
class GatedFusion : public TrainingMode {
 public:
  using scalar_type = T;

  // Parameters are drawn from rng in visiting order: projections, then gate.
  GatedFusion(std::vector<index_t> source_dims, index_t output_dim, Rng& rng)
      : source_dims_(detail::checked_source_dims(name, std::move(source_dims))),
        output_dim_(detail::checked_positive(name, "output_dim", output_dim)),
        projections_(detail::make_projections<T>(source_dims_, output_dim_, rng)),
        gate_(detail::total_width(source_dims_),
              static_cast<index_t>(source_dims_.size()) * output_dim_, rng) {}

  index_t output_dim() const { return output_dim_; }
  std::size_t num_sources() const { return source_dims_.size(); }
  const std::vector<index_t>& source_dims() const { return source_dims_; }
  layers::Linear<T>& projection(std::size_t source) { return projections_.at(source); }
  layers::Linear<T>& gate() { return gate_; }

  // The gates of the last forward, [batch, num_sources * output_dim]: source
  // i's gates are columns [i d, (i + 1) d).
  const Tensor<T>& gates() const { return gates_; }

  // sources[i]: [batch, source_dims[i]] -> [batch, output_dim]
  Tensor<T> forward(const std::vector<Tensor<T>>& sources) {
    const index_t batch = detail::check_sources(name, sources, source_dims_);
    output_shape_ = Shape{batch, output_dim_};
    gates_ = sigmoid_.forward(gate_.forward(detail::concat_sources(sources)));
    gate_blocks_ = backend::split_columns(gates_, block_widths());
    projected_.clear();
    Tensor<T> y(output_shape_);
    Tensor<T> gated(output_shape_);
    for (std::size_t i = 0; i < sources.size(); ++i) {
      projected_.push_back(projections_[i].forward(sources[i]));
      backend::multiply(gate_blocks_[i], projected_[i], gated);
      backend::axpy(T(1), gated, y);
    }
    return y;
  }

  // dp_i = dy ⊙ g_i and dg_i = dy ⊙ p_i; each source's gradient adds the path
  // through its projection to its columns of the gate's input gradient.
  std::vector<Tensor<T>> backward(const Tensor<T>& dy) {
    detail::check_output_gradient(name, dy, output_shape_);
    std::vector<Tensor<T>> d_gate_blocks;
    std::vector<Tensor<T>> grads;
    Tensor<T> d_projected(output_shape_);
    for (std::size_t i = 0; i < projections_.size(); ++i) {
      d_gate_blocks.emplace_back(output_shape_);
      backend::multiply(dy, projected_[i], d_gate_blocks.back());
      backend::multiply(dy, gate_blocks_[i], d_projected);
      grads.push_back(projections_[i].backward(d_projected));
    }
    std::vector<const Tensor<T>*> parts;
    for (const Tensor<T>& block : d_gate_blocks) parts.push_back(&block);
    const Tensor<T> d_gates = backend::concat_columns(parts);
    const Tensor<T> d_concat = gate_.backward(sigmoid_.backward(d_gates));
    std::vector<Tensor<T>> through_gate = backend::split_columns(d_concat, source_dims_);
    for (std::size_t i = 0; i < grads.size(); ++i) backend::axpy(T(1), through_gate[i], grads[i]);
    return grads;
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    for (std::size_t i = 0; i < projections_.size(); ++i)
      projections_[i].visit_parameters(f, join_name(prefix, "projections." + std::to_string(i)));
    gate_.visit_parameters(f, join_name(prefix, "gate"));
  }

  void train(bool on = true) {
    training_ = on;
    for (auto& projection : projections_) projection.train(on);
    gate_.train(on);
    sigmoid_.train(on);
  }
  void eval() { train(false); }

 private:
  static constexpr const char* name = "GatedFusion";

  std::vector<index_t> block_widths() const {
    return std::vector<index_t>(source_dims_.size(), output_dim_);
  }

  std::vector<index_t> source_dims_;
  index_t output_dim_;
  std::vector<layers::Linear<T>> projections_;
  layers::Linear<T> gate_;
  layers::Sigmoid<T> sigmoid_;
  Tensor<T> gates_;
  std::vector<Tensor<T>> gate_blocks_;
  std::vector<Tensor<T>> projected_;
  Shape output_shape_;
};

}  // namespace adaptrec::fusion
