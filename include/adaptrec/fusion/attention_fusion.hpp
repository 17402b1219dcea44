#pragma once
// Additive attention over sources (Bahdanau, Cho & Bengio, ICLR 2015, sec. 3.1
// and appendix A.1.2), with the decoder state replaced by a learned query
// vector as in the attention pooling of Yang et al., NAACL 2016, sec. 2.2; it
// is the view-level attention with which NAML fuses the title, body and
// category views of a news item (Wu et al., IJCAI 2019, news encoder):
//   p_i     = P_i x_i                       (Linear `projections.i`, to width d)
//   score_i = v^T tanh(W_a p_i + b_a)       (Linear `attention` d -> a, `query` v [a])
//   alpha   = softmax_i(score_i)            (per example, over the n sources)
//   y       = sum_i alpha_i p_i
// One weight per source and example, so attention_weights() shows how much
// each example relied on its text, ID or attribute vector.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/fusion/detail.hpp>
#include <adaptrec/layers/activation.hpp>
#include <adaptrec/layers/linear.hpp>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace adaptrec::fusion {

template <class T = float>
class AttentionFusion : public TrainingMode {
 public:
  using scalar_type = T;

  // Parameters are drawn from rng in visiting order: projections, attention,
  // query (uniform in +-1/sqrt(a), like a Linear's weights).
  AttentionFusion(std::vector<index_t> source_dims, index_t output_dim, index_t attention_dim,
                  Rng& rng)
      : source_dims_(detail::checked_source_dims(name, std::move(source_dims))),
        output_dim_(detail::checked_positive(name, "output_dim", output_dim)),
        projections_(detail::make_projections<T>(source_dims_, output_dim_, rng)),
        attention_(output_dim_, detail::checked_positive(name, "attention_dim", attention_dim),
                   rng),
        query_(Shape{attention_dim}) {
    const T bound = T(1) / std::sqrt(T(attention_dim));
    fill_uniform(query_.value, -bound, bound, rng);
  }

  index_t output_dim() const { return output_dim_; }
  index_t attention_dim() const { return attention_.out_features(); }
  std::size_t num_sources() const { return source_dims_.size(); }
  const std::vector<index_t>& source_dims() const { return source_dims_; }
  layers::Linear<T>& projection(std::size_t source) { return projections_.at(source); }
  layers::Linear<T>& attention() { return attention_; }
  Parameter<T>& query() { return query_; }

  // alpha of the last forward, [batch, num_sources]; each row sums to 1.
  const Tensor<T>& attention_weights() const { return weights_; }

  // sources[i]: [batch, source_dims[i]] -> [batch, output_dim]
  Tensor<T> forward(const std::vector<Tensor<T>>& sources) {
    const index_t batch = detail::check_sources(name, sources, source_dims_);
    const index_t n = static_cast<index_t>(sources.size());
    output_shape_ = Shape{batch, output_dim_};
    std::vector<Tensor<T>> projected;
    projected.reserve(sources.size());
    for (std::size_t i = 0; i < sources.size(); ++i)
      projected.push_back(projections_[i].forward(sources[i]));
    // [batch, n, d]: every source's projection of one example side by side,
    // so the attention scores of all sources are one GEMM.
    stacked_ = detail::concat_sources(projected).reshaped(Shape{batch, n, output_dim_});
    hidden_ = tanh_.forward(attention_.forward(stacked_));
    Tensor<T> scores(Shape{batch * n, 1});
    backend::gemm(hidden_, backend::Trans::no, query_.value, backend::Trans::yes, scores);
    scores.reshape(Shape{batch, n});
    weights_ = Tensor<T>(scores.shape());
    backend::softmax(scores, weights_);
    // y[b] = alpha[b] (1 x n) times stacked[b] (n x d).
    Tensor<T> y(Shape{batch, 1, output_dim_});
    backend::batched_gemm(weights_.reshaped(Shape{batch, 1, n}), backend::Trans::no, stacked_,
                          backend::Trans::no, y);
    y.reshape(output_shape_);
    return y;
  }

  std::vector<Tensor<T>> backward(const Tensor<T>& dy) {
    detail::check_output_gradient(name, dy, output_shape_);
    const index_t batch = weights_.dim(0), n = weights_.dim(1);
    const Tensor<T> dy_row = dy.reshaped(Shape{batch, 1, output_dim_});
    // d alpha[b, i] = <dy[b], p_i[b]>;  d stacked[b] = alpha[b]^T dy[b].
    Tensor<T> d_weights(Shape{batch, 1, n});
    backend::batched_gemm(dy_row, backend::Trans::no, stacked_, backend::Trans::yes, d_weights);
    Tensor<T> d_stacked(stacked_.shape());
    backend::batched_gemm(weights_.reshaped(Shape{batch, 1, n}), backend::Trans::yes, dy_row,
                          backend::Trans::no, d_stacked);
    d_weights.reshape(weights_.shape());
    Tensor<T> d_scores(weights_.shape());
    backend::softmax_backward(weights_, d_weights, d_scores);
    d_scores.reshape(Shape{batch * n, 1});
    // score = hidden v: dv += hidden^T d_score, d_hidden = d_score v^T.
    if (query_.trainable)
      backend::gemm(d_scores, backend::Trans::yes, hidden_, backend::Trans::no, query_.grad, T(1),
                    T(1));
    Tensor<T> d_hidden(hidden_.shape());
    backend::gemm(d_scores, backend::Trans::no, query_.value, backend::Trans::no, d_hidden);
    backend::axpy(T(1), attention_.backward(tanh_.backward(d_hidden)), d_stacked);
    d_stacked.reshape(Shape{batch, n * output_dim_});
    std::vector<Tensor<T>> d_projected =
        backend::split_columns(d_stacked, std::vector<index_t>(source_dims_.size(), output_dim_));
    std::vector<Tensor<T>> grads;
    grads.reserve(source_dims_.size());
    for (std::size_t i = 0; i < source_dims_.size(); ++i)
      grads.push_back(projections_[i].backward(d_projected[i]));
    return grads;
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    for (std::size_t i = 0; i < projections_.size(); ++i)
      projections_[i].visit_parameters(f, join_name(prefix, "projections." + std::to_string(i)));
    attention_.visit_parameters(f, join_name(prefix, "attention"));
    f(join_name(prefix, "query"), query_);
  }

  void train(bool on = true) {
    training_ = on;
    for (auto& projection : projections_) projection.train(on);
    attention_.train(on);
    tanh_.train(on);
  }
  void eval() { train(false); }

 private:
  static constexpr const char* name = "AttentionFusion";

  std::vector<index_t> source_dims_;
  index_t output_dim_;
  std::vector<layers::Linear<T>> projections_;
  layers::Linear<T> attention_;
  Parameter<T> query_;
  layers::Tanh<T> tanh_;
  Tensor<T> stacked_;
  Tensor<T> hidden_;
  Tensor<T> weights_;
  Shape output_shape_;
};

}  // namespace adaptrec::fusion
