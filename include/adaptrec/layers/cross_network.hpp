#pragma once
// The cross network of DCN-V2 (Wang et al., "DCN V2", WWW 2021, eq. 1):
//   x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l
// which builds explicit feature crosses of degree l+1 at layer l.
#include <adaptrec/layers/linear.hpp>

#include <string>
#include <vector>

namespace adaptrec::layers {

template <class T = float>
class CrossNetwork : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  CrossNetwork(index_t dim, int num_layers, Rng& rng) {
    if (num_layers < 1)
      throw invalid_argument("adaptrec::layers::CrossNetwork: num_layers must be >= 1, got " +
                             std::to_string(num_layers));
    for (int l = 0; l < num_layers; ++l) {
      crosses_.emplace_back(dim, dim, rng);
      // Start near the identity map x_{l+1} = x_l: small weights, zero bias.
      scale(crosses_.back().weight().value, T(0.1));
      crosses_.back().bias().value.set_zero();
    }
  }

  int num_layers() const { return static_cast<int>(crosses_.size()); }

  // x: [batch, dim]
  Tensor<T> forward(const Tensor<T>& x0) {
    x0_ = x0;
    z_.clear();
    Tensor<T> x = x0;
    for (auto& cross : crosses_) {
      Tensor<T> z = cross.forward(x);  // W_l x_l + b_l
      Tensor<T> next(x.shape());
      backend::multiply(x0_, z, next);
      backend::axpy(T(1), x, next);
      z_.push_back(std::move(z));
      x = std::move(next);
    }
    return x;
  }

  Tensor<T> backward(const Tensor<T>& dy) {
    Tensor<T> dx0(x0_.shape());
    Tensor<T> dx = dy;  // gradient w.r.t. x_{l+1}
    for (std::size_t l = crosses_.size(); l-- > 0;) {
      Tensor<T> through_x0(dx.shape());
      backend::multiply(dx, z_[l], through_x0);  // d/dx0 of x0 ⊙ z
      backend::axpy(T(1), through_x0, dx0);
      Tensor<T> dz(dx.shape());
      backend::multiply(dx, x0_, dz);
      Tensor<T> dx_prev = crosses_[l].backward(dz);
      backend::axpy(T(1), dx, dx_prev);  // the residual x_l
      dx = std::move(dx_prev);
    }
    backend::axpy(T(1), dx, dx0);  // x_0 is also the first layer's input
    return dx0;
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    for (std::size_t l = 0; l < crosses_.size(); ++l)
      crosses_[l].visit_parameters(f, join_name(prefix, "layers." + std::to_string(l)));
  }

 private:
  static void scale(Tensor<T>& t, T factor) { backend::scale(t, factor); }

  std::vector<Linear<T>> crosses_;
  Tensor<T> x0_;
  std::vector<Tensor<T>> z_;
};

}  // namespace adaptrec::layers
