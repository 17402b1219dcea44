#pragma once
// Fusion by explicit feature crosses: the sources are concatenated, passed
// through the cross network of DCN-V2 (Wang et al., WWW 2021, eq. 1;
// layers::CrossNetwork, parameters `cross.*`),
//   x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l,   x_0 = [x_1; ...; x_n],
// and mapped to the output width by a Linear `projection`, so that products
// between a text dimension and an ID dimension are features the model can
// weigh, which neither a sum nor a single linear map provides.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/fusion/detail.hpp>
#include <adaptrec/layers/cross_network.hpp>
#include <adaptrec/layers/linear.hpp>

#include <string>
#include <utility>
#include <vector>

namespace adaptrec::fusion {

template <class T = float>
class CrossFusion : public TrainingMode {
 public:
  using scalar_type = T;

  // Parameters are drawn from rng in visiting order: cross layers, projection.
  CrossFusion(std::vector<index_t> source_dims, index_t output_dim, int num_cross_layers,
              Rng& rng)
      : source_dims_(detail::checked_source_dims(name, std::move(source_dims))),
        cross_(detail::total_width(source_dims_), checked_layers(num_cross_layers), rng),
        projection_(detail::total_width(source_dims_),
                    detail::checked_positive(name, "output_dim", output_dim), rng) {}

  index_t output_dim() const { return projection_.out_features(); }
  std::size_t num_sources() const { return source_dims_.size(); }
  const std::vector<index_t>& source_dims() const { return source_dims_; }
  layers::CrossNetwork<T>& cross() { return cross_; }
  layers::Linear<T>& projection() { return projection_; }

  // sources[i]: [batch, source_dims[i]] -> [batch, output_dim]
  Tensor<T> forward(const std::vector<Tensor<T>>& sources) {
    const index_t batch = detail::check_sources(name, sources, source_dims_);
    output_shape_ = Shape{batch, output_dim()};
    return projection_.forward(cross_.forward(detail::concat_sources(sources)));
  }

  std::vector<Tensor<T>> backward(const Tensor<T>& dy) {
    detail::check_output_gradient(name, dy, output_shape_);
    return backend::split_columns(cross_.backward(projection_.backward(dy)), source_dims_);
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    cross_.visit_parameters(f, join_name(prefix, "cross"));
    projection_.visit_parameters(f, join_name(prefix, "projection"));
  }

  void train(bool on = true) {
    training_ = on;
    cross_.train(on);
    projection_.train(on);
  }
  void eval() { train(false); }

 private:
  static constexpr const char* name = "CrossFusion";

  static int checked_layers(int num_cross_layers) {
    if (num_cross_layers < 1)
      throw invalid_argument(detail::where(name) + ": num_cross_layers = " +
                             std::to_string(num_cross_layers) + " must be at least 1");
    return num_cross_layers;
  }

  std::vector<index_t> source_dims_;
  layers::CrossNetwork<T> cross_;
  layers::Linear<T> projection_;
  Shape output_shape_;
};

}  // namespace adaptrec::fusion
