#pragma once
// Weighted sum of same-width sources, y = sum_i s_i x_i, with one learned
// scalar s_i per source (parameter `scales`, initialised to 1 so that training
// starts from the plain sum). The plain sum is how BERT adds its token,
// position and segment embeddings (Devlin et al., 2019, sec. 3) and how
// UniSRec adds an item's ID embedding to its text vector in the transductive
// setting (Hou et al., KDD 2022); the scales let the model weigh the sources.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/fusion/detail.hpp>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace adaptrec::fusion {

template <class T = float>
class SumFusion : public TrainingMode {
 public:
  using scalar_type = T;

  explicit SumFusion(std::vector<index_t> source_dims)
      : source_dims_(checked_common_width(std::move(source_dims))),
        scales_(Shape{static_cast<index_t>(source_dims_.size())}) {
    scales_.value.fill(T(1));
  }
  // The same, taking an Rng like the other fusions so that generic code can
  // build any of them; the scales start at 1 whatever the generator.
  SumFusion(std::vector<index_t> source_dims, Rng&) : SumFusion(std::move(source_dims)) {}

  index_t output_dim() const { return source_dims_.front(); }
  std::size_t num_sources() const { return source_dims_.size(); }
  const std::vector<index_t>& source_dims() const { return source_dims_; }
  Parameter<T>& scales() { return scales_; }

  // sources[i]: [batch, d] -> [batch, d]
  Tensor<T> forward(const std::vector<Tensor<T>>& sources) {
    const index_t batch = detail::check_sources(name, sources, source_dims_);
    sources_ = sources;
    output_shape_ = Shape{batch, output_dim()};
    Tensor<T> y(output_shape_);
    for (std::size_t i = 0; i < sources.size(); ++i)
      backend::axpy(scales_.value[static_cast<index_t>(i)], sources[i], y);
    return y;
  }

  // dx_i = s_i dy;  ds_i += <dy, x_i> summed over the batch.
  std::vector<Tensor<T>> backward(const Tensor<T>& dy) {
    detail::check_output_gradient(name, dy, output_shape_);
    std::vector<Tensor<T>> grads;
    grads.reserve(sources_.size());
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      const index_t s = static_cast<index_t>(i);
      if (scales_.trainable) scales_.grad[s] += inner_product(dy, sources_[i]);
      Tensor<T> dx = dy;
      backend::scale(dx, scales_.value[s]);
      grads.push_back(std::move(dx));
    }
    return grads;
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    f(join_name(prefix, "scales"), scales_);
  }

 private:
  static constexpr const char* name = "SumFusion";
  // A float sum over batch x width elements is kept in double.
  using accumulator = std::conditional_t<(sizeof(T) < sizeof(double)), double, T>;

  static std::vector<index_t> checked_common_width(std::vector<index_t> dims) {
    dims = detail::checked_source_dims(name, std::move(dims));
    for (index_t d : dims)
      if (d != dims.front()) {
        std::string widths;
        for (index_t w : dims) widths += (widths.empty() ? "" : ", ") + std::to_string(w);
        throw invalid_argument(detail::where(name) + ": source_dims [" + widths +
                               "] differ; a sum needs one common width (use ConcatFusion or "
                               "a projecting fusion for sources of different widths)");
      }
    return dims;
  }

  static T inner_product(const Tensor<T>& a, const Tensor<T>& b) {
    accumulator sum = 0;
    for (index_t k = 0; k < a.size(); ++k)
      sum += static_cast<accumulator>(a[k]) * static_cast<accumulator>(b[k]);
    return static_cast<T>(sum);
  }

  std::vector<index_t> source_dims_;
  Parameter<T> scales_;
  std::vector<Tensor<T>> sources_;
  Shape output_shape_;
};

}  // namespace adaptrec::fusion
