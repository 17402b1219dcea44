#pragma once
// AdaLoRA's SVD-shaped update of one frozen linear layer (Zhang et al.,
// "Adaptive Budget Allocation for Parameter-Efficient Fine-Tuning", ICLR 2023,
// sec. 3.1, eq. 3):
//   y = x W^T + b + s * dropout(x) (diag(lambda) Q)^T P^T,   dW = P diag(lambda) Q
// with P = lora_B [out, r] (left singular vectors), lambda = lora_E [r, 1]
// (singular values) and Q = lora_A [r, in] (right singular vectors), the
// names and shapes of Hugging Face PEFT's SVDLinear. P and Q start N(0, 0.02^2)
// and lambda at zero, as PEFT draws them, so training starts from the
// pretrained function.
//
// s = alpha / (ranknum + 1e-5), where ranknum is the rank the triplets were
// made with. PEFT's SVDLinear keeps ranknum at init_r throughout training
// (its 1e-5 is kept here so outputs match): pruning a triplet zeroes its
// lambda and leaves s alone, so the surviving triplets' contribution does not
// jump when others are pruned.
//
// The rank allocator (peft/adalora_allocator.hpp) decides which triplets are
// kept; this layer only applies its decision to lambda.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/layers/dropout.hpp>
#include <adaptrec/layers/linear_hook.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace adaptrec::peft {

template <class T = float>
class AdaLoraLinear final : public layers::LinearHook<T> {
 public:
  AdaLoraLinear(index_t in_features, index_t out_features, index_t rank, T alpha, T dropout,
                Rng& rng, std::uint64_t dropout_seed = 0)
      : a_(Shape{checked_extents(rank, in_features, out_features), in_features}),
        e_(Shape{rank, 1}),
        b_(Shape{out_features, rank}),
        scale_(alpha / (T(rank) + T(1e-5))),
        dropout_(checked_dropout(dropout), dropout_seed),
        kept_(static_cast<std::size_t>(rank), true) {
    fill_normal(a_.value, T(0), T(0.02), rng);
    fill_normal(b_.value, T(0), T(0.02), rng);
  }

  // r: the number of triplets, masked or not.
  index_t rank() const { return a_.shape()[0]; }
  index_t in_features() const { return a_.shape()[1]; }
  index_t out_features() const { return b_.shape()[0]; }
  T scale() const { return scale_; }
  Parameter<T>& lora_a() { return a_; }
  Parameter<T>& lora_e() { return e_; }
  Parameter<T>& lora_b() { return b_; }
  const Parameter<T>& lora_a() const { return a_; }
  const Parameter<T>& lora_e() const { return e_; }
  const Parameter<T>& lora_b() const { return b_; }

  // The triplets the last allocation kept (all, before the first one).
  const std::vector<bool>& kept_triplets() const { return kept_; }
  index_t kept_rank() const {
    return static_cast<index_t>(std::count(kept_.begin(), kept_.end(), true));
  }

  // Prunes the triplets whose `keep` entry is false by zeroing their singular
  // values (sec. 3.2): P and Q stay, so an optimizer step may revive a
  // triplet until the allocator's final pattern is fixed.
  void mask_triplets(const std::vector<bool>& keep) {
    if (keep.size() != kept_.size())
      throw shape_error(
          "adaptrec::peft::AdaLoraLinear::mask_triplets: " + std::to_string(keep.size()) +
          " flags for a rank-" + std::to_string(rank()) + " adapter with lora_E of shape " +
          e_.shape().to_string());
    require_unmerged("mask_triplets");
    kept_ = keep;
    zero_pruned_singular_values();
  }
  // Zeroes the pruned singular values again after an optimizer step moved them.
  void reapply_mask() {
    require_unmerged("reapply_mask");
    zero_pruned_singular_values();
  }

  void forward(const Tensor<T>& x, Tensor<T>& y) override {
    if (merged_) return;
    x_dropped_ = dropout_.forward(x);
    scaled_a_ = singular_value_scaled_a();
    Shape u_shape = x.shape();
    u_shape[u_shape.rank() - 1] = rank();
    u_ = Tensor<T>(u_shape);
    backend::gemm(x_dropped_, backend::Trans::no, scaled_a_, backend::Trans::yes, u_);
    backend::gemm(u_, backend::Trans::no, b_.value, backend::Trans::yes, y, scale_, T(1));
  }

  // With u = x_d (diag(lambda) Q)^T and G = du^T x_d:
  //   dP += s dy^T u ; du = s dy P ; dQ_ij += lambda_i G_ij ;
  //   dlambda_i += sum_j Q_ij G_ij ; dx = (du diag(lambda) Q) o mask.
  layers::LinearHookGradient<T> backward(const Tensor<T>& dy) override {
    if (merged_) return {};
    if (u_.empty())
      throw error("adaptrec::peft::AdaLoraLinear::backward: no forward to go back through");
    if (b_.trainable)
      backend::gemm(dy, backend::Trans::yes, u_, backend::Trans::no, b_.grad, scale_, T(1));
    Tensor<T> du(u_.shape());
    backend::gemm(dy, backend::Trans::no, b_.value, backend::Trans::no, du, scale_, T(0));
    if (a_.trainable || e_.trainable) {
      Tensor<T> g(a_.shape());
      backend::gemm(du, backend::Trans::yes, x_dropped_, backend::Trans::no, g);
      accumulate_factor_gradients(g);
    }
    Tensor<T> d_dropped(x_dropped_.shape());
    backend::gemm(du, backend::Trans::no, scaled_a_, backend::Trans::no, d_dropped);
    layers::LinearHookGradient<T> out;
    out.d_input = dropout_.backward(d_dropped);
    return out;
  }

  void visit_parameters(const layers::ParameterVisitor<T>& visit,
                        const std::string& prefix) override {
    visit(join_name(prefix, "lora_A"), a_);
    visit(join_name(prefix, "lora_E"), e_);
    visit(join_name(prefix, "lora_B"), b_);
  }
  void train(bool on) override { dropout_.train(on); }

  // W += s P diag(lambda) Q; unmerging subtracts the same product, so lambda
  // must not change in between (mask_triplets refuses while merged).
  bool mergeable() const override { return true; }
  bool merged() const override { return merged_; }
  void merge_into(Tensor<T>& weight) override {
    check_weight(weight, "merge_into");
    backend::gemm(b_.value, backend::Trans::no, singular_value_scaled_a(), backend::Trans::no,
                  weight, scale_, T(1));
    merged_ = true;
  }
  void unmerge_from(Tensor<T>& weight) override {
    check_weight(weight, "unmerge_from");
    backend::gemm(b_.value, backend::Trans::no, singular_value_scaled_a(), backend::Trans::no,
                  weight, -scale_, T(1));
    merged_ = false;
  }

  // R(P, Q) = ||P^T P - I||_F^2 + ||Q Q^T - I||_F^2 (sec. 3.1, eq. 4), which
  // keeps P and Q near orthogonal without computing an SVD. This is the
  // paper's form; PEFT adds the unsquared norms, averaged over all adapted
  // matrices of the model.
  T orthogonal_regularization() const {
    return T(squared_deviation_from_identity(left_gram()) +
             squared_deviation_from_identity(right_gram()));
  }

  // Adds weight * dR to the gradients of P and Q (when trainable):
  //   dR/dP = 4 P (P^T P - I),  dR/dQ = 4 (Q Q^T - I) Q.
  // Returns R(P, Q), unweighted.
  T add_orthogonal_regularization_gradient(T weight) {
    Tensor<T> left = left_gram(), right = right_gram();
    const double value =
        squared_deviation_from_identity(left) + squared_deviation_from_identity(right);
    if (b_.trainable) {
      subtract_identity(left);
      backend::gemm(b_.value, backend::Trans::no, left, backend::Trans::no, b_.grad, T(4) * weight,
                    T(1));
    }
    if (a_.trainable) {
      subtract_identity(right);
      backend::gemm(right, backend::Trans::no, a_.value, backend::Trans::no, a_.grad, T(4) * weight,
                    T(1));
    }
    return T(value);
  }

  void reseed_dropout(std::uint64_t seed) { dropout_.reseed(seed); }

 private:
  static index_t checked_extents(index_t rank, index_t in_features, index_t out_features) {
    if (rank <= 0 || in_features <= 0 || out_features <= 0)
      throw invalid_argument("adaptrec::peft::AdaLoraLinear: rank=" + std::to_string(rank) +
                             ", in=" + std::to_string(in_features) +
                             " and out=" + std::to_string(out_features) + " must be positive");
    return rank;
  }
  static T checked_dropout(T dropout) {
    if (!(dropout >= T(0) && dropout < T(1)))
      throw invalid_argument("adaptrec::peft::AdaLoraLinear: dropout must be in [0, 1), got " +
                             std::to_string(dropout));
    return dropout;
  }

  // diag(lambda) Q, [r, in].
  Tensor<T> singular_value_scaled_a() const {
    Tensor<T> scaled = a_.value;
    const index_t in = in_features();
    for (index_t i = 0; i < rank(); ++i) {
      const T lambda = e_.value[i];
      T* row = scaled.data() + i * in;
      for (index_t j = 0; j < in; ++j) row[j] *= lambda;
    }
    return scaled;
  }

  // g = du^T x_d, the gradient of diag(lambda) Q.
  void accumulate_factor_gradients(const Tensor<T>& g) {
    const index_t in = in_features();
    for (index_t i = 0; i < rank(); ++i) {
      const T* g_row = g.data() + i * in;
      const T* q_row = a_.value.data() + i * in;
      if (a_.trainable) {
        const T lambda = e_.value[i];
        T* dq_row = a_.grad.data() + i * in;
        for (index_t j = 0; j < in; ++j) dq_row[j] += lambda * g_row[j];
      }
      if (e_.trainable) {
        T d_lambda = T(0);
        for (index_t j = 0; j < in; ++j) d_lambda += q_row[j] * g_row[j];
        e_.grad[i] += d_lambda;
      }
    }
  }

  Tensor<T> left_gram() const {  // P^T P, [r, r]
    Tensor<T> gram(Shape{rank(), rank()});
    backend::gemm(b_.value, backend::Trans::yes, b_.value, backend::Trans::no, gram);
    return gram;
  }
  Tensor<T> right_gram() const {  // Q Q^T, [r, r]
    Tensor<T> gram(Shape{rank(), rank()});
    backend::gemm(a_.value, backend::Trans::no, a_.value, backend::Trans::yes, gram);
    return gram;
  }
  static double squared_deviation_from_identity(const Tensor<T>& gram) {
    const index_t n = gram.rows();
    double sum = 0;
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < n; ++j) {
        const double d = static_cast<double>(gram[i * n + j]) - (i == j ? 1.0 : 0.0);
        sum += d * d;
      }
    return sum;
  }
  static void subtract_identity(Tensor<T>& gram) {
    const index_t n = gram.rows();
    for (index_t i = 0; i < n; ++i) gram[i * n + i] -= T(1);
  }

  void zero_pruned_singular_values() {
    for (std::size_t i = 0; i < kept_.size(); ++i)
      if (!kept_[i]) e_.value[static_cast<index_t>(i)] = T(0);
  }

  void require_unmerged(const char* what) const {
    if (merged_)
      throw invalid_argument(std::string("adaptrec::peft::AdaLoraLinear::") + what +
                             ": the update is merged into the weight; unmerge it first, or "
                             "unmerging would subtract a different product");
  }

  void check_weight(const Tensor<T>& weight, const char* what) const {
    if (!(weight.shape() == Shape{out_features(), in_features()}))
      throw shape_error(std::string("adaptrec::peft::AdaLoraLinear::") + what +
                        ": weight of shape " + weight.shape().to_string() + " is not [" +
                        std::to_string(out_features()) + ", " + std::to_string(in_features()) +
                        "]");
  }

  Parameter<T> a_;  // Q
  Parameter<T> e_;  // lambda
  Parameter<T> b_;  // P
  T scale_;
  layers::Dropout<T> dropout_;
  std::vector<bool> kept_;
  bool merged_ = false;
  Tensor<T> x_dropped_, scaled_a_, u_;
};

}  // namespace adaptrec::peft
