#pragma once
// Early fusion by concatenation and a linear map, y = W [x_1; ...; x_n] + b
// (a layers::Linear named `projection`): the baseline multimodal fusion of
// Baltrusaitis et al., "Multimodal Machine Learning: A Survey and Taxonomy"
// (TPAMI 2019, sec. 6), and the input layer of Wide & Deep and DCN, which
// concatenate dense feature vectors before the first layer.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/fusion/detail.hpp>
#include <adaptrec/layers/linear.hpp>

#include <string>
#include <utility>
#include <vector>

namespace adaptrec::fusion {

template <class T = float>
class ConcatFusion : public TrainingMode {
 public:
  using scalar_type = T;

  ConcatFusion(std::vector<index_t> source_dims, index_t output_dim, Rng& rng)
      : source_dims_(detail::checked_source_dims(name, std::move(source_dims))),
        projection_(detail::total_width(source_dims_),
                    detail::checked_positive(name, "output_dim", output_dim), rng) {}

  index_t output_dim() const { return projection_.out_features(); }
  std::size_t num_sources() const { return source_dims_.size(); }
  const std::vector<index_t>& source_dims() const { return source_dims_; }
  layers::Linear<T>& projection() { return projection_; }

  // sources[i]: [batch, source_dims[i]] -> [batch, output_dim]
  Tensor<T> forward(const std::vector<Tensor<T>>& sources) {
    const index_t batch = detail::check_sources(name, sources, source_dims_);
    output_shape_ = Shape{batch, output_dim()};
    return projection_.forward(detail::concat_sources(sources));
  }

  std::vector<Tensor<T>> backward(const Tensor<T>& dy) {
    detail::check_output_gradient(name, dy, output_shape_);
    return backend::split_columns(projection_.backward(dy), source_dims_);
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    projection_.visit_parameters(f, join_name(prefix, "projection"));
  }

  void train(bool on = true) {
    training_ = on;
    projection_.train(on);
  }
  void eval() { train(false); }

 private:
  static constexpr const char* name = "ConcatFusion";

  std::vector<index_t> source_dims_;
  layers::Linear<T> projection_;
  Shape output_shape_;
};

}  // namespace adaptrec::fusion
