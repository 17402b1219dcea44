#pragma once
// STAR, the star topology adaptive recommender (Sheng et al., CIKM 2021,
// "One Model to Serve All: Star Topology Adaptive Recommender for
// Multi-Domain CTR Prediction", sec. 4).
//
// Star topology FCN (sec. 4.3, eq. 2-3): every layer has shared W, b and, per
// scenario s, W_s, b_s; scenario s's rows go through
//   y = act((W_s * W) x + b_s + b)      (* element-wise)
// with ReLU between layers and none after the last. W_s starts at 1 and b_s at
// 0, so training starts from the shared network. Optional extras:
// partitioned normalization of the input (sec. 4.2, see
// partitioned_normalization.hpp) and the auxiliary network (sec. 4.4): an MLP
// on [x, embedding of the scenario id] whose logit is added to the output,
// which only makes sense for a single logit (output_dim = 1).
//
// Parameters: `layers.<l>.weight`, `layers.<l>.bias`,
// `layers.<l>.scenario_weight.<s>`, `layers.<l>.scenario_bias.<s>`, then
// `normalization.*` and `auxiliary.scenario_embedding.weight`,
// `auxiliary.mlp.*` when enabled.
#include <adaptrec/heads/partitioned_normalization.hpp>
#include <adaptrec/heads/scenario_routing.hpp>
#include <adaptrec/layers/embedding.hpp>
#include <adaptrec/layers/mlp.hpp>
#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace adaptrec::heads {

struct StarOptions {
  index_t input_dim = 0;
  index_t output_dim = 0;
  index_t num_scenarios = 0;
  std::vector<index_t> hidden_widths{};  // empty: a single star layer
  bool partitioned_normalization = false;
  PartitionedNormalizationOptions normalization{};
  bool auxiliary_network = false;
  index_t auxiliary_embedding_dim = 8;
  // The paper's auxiliary network has two fully connected layers.
  std::vector<index_t> auxiliary_hidden_widths{32};
};

namespace detail {

// One star layer; forward and backward run per scenario on that scenario's rows.
template <class T>
class StarLayer {
 public:
  StarLayer(index_t in, index_t out, index_t num_scenarios, bool activate, Rng& rng)
      : weight_(Shape{out, in}), bias_(Shape{out}), activate_(activate) {
    // The shared layer starts as PyTorch's nn.Linear does: uniform in +-1/sqrt(in).
    const T bound = T(1) / std::sqrt(T(in));
    fill_uniform(weight_.value, -bound, bound, rng);
    fill_uniform(bias_.value, -bound, bound, rng);
    for (index_t s = 0; s < num_scenarios; ++s) {
      scenario_weight_.emplace_back(Shape{out, in});
      scenario_weight_.back().value.fill(T(1));
      scenario_bias_.emplace_back(Shape{out});
    }
    const auto n = static_cast<std::size_t>(num_scenarios);
    effective_weight_.resize(n);
    input_.resize(n);
    pre_activation_.resize(n);
    output_.resize(n);
  }

  index_t in_features() const { return weight_.shape()[1]; }
  index_t out_features() const { return weight_.shape()[0]; }
  Parameter<T>& weight() { return weight_; }
  Parameter<T>& bias() { return bias_; }
  Parameter<T>& scenario_weight(index_t s) {
    return scenario_weight_.at(static_cast<std::size_t>(s));
  }
  Parameter<T>& scenario_bias(index_t s) { return scenario_bias_.at(static_cast<std::size_t>(s)); }

  // x: scenario s's rows [n, in] -> [n, out]
  Tensor<T> forward(index_t s, const Tensor<T>& x) {
    const auto i = static_cast<std::size_t>(s);
    effective_weight_[i] = Tensor<T>(weight_.shape());
    backend::multiply(weight_.value, scenario_weight_[i].value, effective_weight_[i]);
    Tensor<T> effective_bias = bias_.value;
    backend::axpy(T(1), scenario_bias_[i].value, effective_bias);
    // Only the weight gradients need x; a frozen scenario keeps nothing.
    if (weight_.trainable || scenario_weight_[i].trainable)
      input_[i] = x;
    else
      input_[i] = Tensor<T>{};
    Tensor<T> y(Shape{x.rows(), out_features()});
    backend::gemm(x, backend::Trans::no, effective_weight_[i], backend::Trans::yes, y);
    backend::add_row_vector(y, effective_bias);
    if (!activate_) return y;
    output_[i] = Tensor<T>(y.shape());
    backend::activation_forward(backend::Activation::relu, y, output_[i]);
    pre_activation_[i] = std::move(y);
    return output_[i];
  }

  // dy: [n, out] for scenario s's rows -> dx [n, in]
  Tensor<T> backward(index_t s, const Tensor<T>& dy) {
    const auto i = static_cast<std::size_t>(s);
    Tensor<T> d_pre;
    if (activate_) {
      d_pre = Tensor<T>(dy.shape());
      backend::activation_backward(backend::Activation::relu, pre_activation_[i], output_[i], dy,
                                   d_pre);
    }
    const Tensor<T>& g = activate_ ? d_pre : dy;
    Parameter<T>& own_weight = scenario_weight_[i];
    Parameter<T>& own_bias = scenario_bias_[i];
    if (weight_.trainable || own_weight.trainable) {
      if (input_[i].empty())
        throw error(
            "adaptrec::heads::Star::backward: the weights of scenario " + std::to_string(s) +
            " were frozen during forward and trainable now; run forward again after changing "
            "trainable");
      // dL/dW_eff = g^T x; the product rule splits it between W and W_s.
      Tensor<T> d_effective(weight_.shape()), scaled(weight_.shape());
      backend::gemm(g, backend::Trans::yes, input_[i], backend::Trans::no, d_effective);
      if (weight_.trainable) {
        backend::multiply(d_effective, own_weight.value, scaled);
        backend::axpy(T(1), scaled, weight_.grad);
      }
      if (own_weight.trainable) {
        backend::multiply(d_effective, weight_.value, scaled);
        backend::axpy(T(1), scaled, own_weight.grad);
      }
    }
    if (bias_.trainable) backend::accumulate_column_sums(g, bias_.grad);
    if (own_bias.trainable) backend::accumulate_column_sums(g, own_bias.grad);
    Tensor<T> dx(Shape{g.rows(), in_features()});
    backend::gemm(g, backend::Trans::no, effective_weight_[i], backend::Trans::no, dx);
    return dx;
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    f(join_name(prefix, "weight"), weight_);
    f(join_name(prefix, "bias"), bias_);
    for (std::size_t s = 0; s < scenario_weight_.size(); ++s)
      f(join_name(prefix, "scenario_weight." + std::to_string(s)), scenario_weight_[s]);
    for (std::size_t s = 0; s < scenario_bias_.size(); ++s)
      f(join_name(prefix, "scenario_bias." + std::to_string(s)), scenario_bias_[s]);
  }

 private:
  Parameter<T> weight_, bias_;
  std::vector<Parameter<T>> scenario_weight_, scenario_bias_;
  bool activate_;
  // Per scenario, from the last forward.
  std::vector<Tensor<T>> effective_weight_, input_, pre_activation_, output_;
};

// The auxiliary network of sec. 4.4: MLP([x, e_s]) -> one logit.
template <class T>
struct AuxiliaryNetwork {
  layers::Embedding<T> scenario_embedding;
  layers::MLP<T> mlp;
};

}  // namespace detail

template <class T = float>
class Star : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  Star(const StarOptions& options, Rng& rng)
      : input_dim_(checked(options).input_dim), num_scenarios_(options.num_scenarios) {
    const std::vector<index_t> sizes =
        layer_sizes(options.input_dim, options.hidden_widths, options.output_dim);
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l)
      layers_.emplace_back(sizes[l], sizes[l + 1], num_scenarios_, l + 2 < sizes.size(), rng);
    if (options.partitioned_normalization)
      normalization_.emplace(options.input_dim, num_scenarios_, options.normalization);
    if (options.auxiliary_network)
      auxiliary_.emplace(detail::AuxiliaryNetwork<T>{
          layers::Embedding<T>(num_scenarios_, options.auxiliary_embedding_dim, rng),
          layers::MLP<T>(layer_sizes(options.input_dim + options.auxiliary_embedding_dim,
                                     options.auxiliary_hidden_widths, 1),
                         rng)});
    for (auto& l : layers_) {
      const auto layer = static_cast<std::size_t>(l.weight().size() + l.bias().size());
      shared_parameter_count_ += layer;
      scenario_parameter_count_ += layer;
    }
    if (normalization_) {
      shared_parameter_count_ += 2 * static_cast<std::size_t>(input_dim_);
      scenario_parameter_count_ += 2 * static_cast<std::size_t>(input_dim_);
    }
    if (auxiliary_) {
      shared_parameter_count_ += count_parameters(auxiliary_->mlp).total;
      scenario_parameter_count_ += static_cast<std::size_t>(auxiliary_->scenario_embedding.dim());
    }
  }

  index_t input_dim() const { return input_dim_; }
  index_t output_dim() const { return layers_.back().out_features(); }
  index_t num_scenarios() const { return num_scenarios_; }
  std::size_t num_layers() const { return layers_.size(); }
  detail::StarLayer<T>& layer(std::size_t l) { return layers_.at(l); }
  bool has_normalization() const { return normalization_.has_value(); }
  bool has_auxiliary_network() const { return auxiliary_.has_value(); }
  PartitionedNormalization<T>& normalization() { return normalization_.value(); }

  // Parameters every scenario uses (shared layers, shared normalization
  // scale/shift, auxiliary MLP), and those that belong to ONE scenario (its
  // layer weights and biases, normalization scale/shift, embedding row): the
  // total is shared + num_scenarios * scenario.
  std::size_t shared_parameter_count() const { return shared_parameter_count_; }
  std::size_t scenario_parameter_count() const { return scenario_parameter_count_; }

  // x [batch, input_dim] -> [batch, output_dim]
  Tensor<T> forward(const Tensor<T>& x, std::span<const index_t> scenario) {
    require_head_input(x, input_dim(), name);
    routing_ = ScenarioRouting(scenario, x.shape(), num_scenarios_, name);
    Tensor<T> normalized;
    if (normalization_) normalized = normalization_->forward(x, scenario);
    const Tensor<T>& input = normalization_ ? normalized : x;
    Tensor<T> y(Shape{x.dim(0), output_dim()});
    for (index_t s : routing_.active()) {
      Tensor<T> storage;
      Tensor<T> h = layers_.front().forward(s, routing_.select(input, s, storage));
      for (std::size_t l = 1; l < layers_.size(); ++l) h = layers_[l].forward(s, h);
      routing_.place(std::move(h), s, y);
    }
    if (auxiliary_) {
      Tensor<index_t> ids(Shape{x.dim(0)}, std::vector<index_t>(scenario.begin(), scenario.end()));
      const Tensor<T> embedded = auxiliary_->scenario_embedding.forward(ids);
      backend::axpy(T(1), auxiliary_->mlp.forward(backend::concat_columns<T>({&x, &embedded})), y);
    }
    return y;
  }

  Tensor<T> backward(const Tensor<T>& dy) {
    require_shape(dy, Shape{routing_.batch(), output_dim()}, "adaptrec::heads::Star::backward");
    Tensor<T> dx(Shape{routing_.batch(), input_dim_});
    for (index_t s : routing_.active()) {
      Tensor<T> storage;
      Tensor<T> g = layers_.back().backward(s, routing_.select(dy, s, storage));
      for (std::size_t l = layers_.size() - 1; l-- > 0;) g = layers_[l].backward(s, g);
      routing_.place(std::move(g), s, dx);
    }
    if (normalization_) dx = normalization_->backward(dx);
    if (auxiliary_) {
      const auto parts = backend::split_columns(auxiliary_->mlp.backward(dy),
                                                {input_dim_, auxiliary_->scenario_embedding.dim()});
      backend::axpy(T(1), parts[0], dx);
      auxiliary_->scenario_embedding.backward(parts[1]);
    }
    return dx;
  }

  void train(bool on = true) {
    training_ = on;
    if (normalization_) normalization_->train(on);
    if (auxiliary_) {
      auxiliary_->scenario_embedding.train(on);
      auxiliary_->mlp.train(on);
    }
  }
  void eval() { train(false); }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    for (std::size_t l = 0; l < layers_.size(); ++l)
      layers_[l].visit_parameters(f, join_name(prefix, "layers." + std::to_string(l)));
    if (normalization_) normalization_->visit_parameters(f, join_name(prefix, "normalization"));
    if (auxiliary_) {
      auxiliary_->scenario_embedding.visit_parameters(
          f, join_name(prefix, "auxiliary.scenario_embedding"));
      auxiliary_->mlp.visit_parameters(f, join_name(prefix, "auxiliary.mlp"));
    }
  }

  // The partitioned normalization's moving statistics, when it is enabled.
  template <class F>
  void visit_buffers(F&& f, const std::string& prefix) {
    if (normalization_) normalization_->visit_buffers(f, join_name(prefix, "normalization"));
  }

 private:
  static constexpr const char* name = "adaptrec::heads::Star";

  static const StarOptions& checked(const StarOptions& o) {
    require_positive(name, "input_dim", o.input_dim);
    require_positive(name, "output_dim", o.output_dim);
    require_positive(name, "num_scenarios", o.num_scenarios);
    require_positive_widths(name, "hidden_widths", o.hidden_widths);
    if (o.auxiliary_network) {
      if (o.output_dim != 1)
        throw invalid_argument(std::string(name) +
                               ": the auxiliary network adds one logit and needs output_dim = 1, "
                               "got output_dim = " +
                               std::to_string(o.output_dim));
      require_positive(name, "auxiliary_embedding_dim", o.auxiliary_embedding_dim);
      require_positive_widths(name, "auxiliary_hidden_widths", o.auxiliary_hidden_widths);
    }
    return o;
  }

  index_t input_dim_, num_scenarios_;
  std::vector<detail::StarLayer<T>> layers_;
  std::optional<PartitionedNormalization<T>> normalization_;
  std::optional<detail::AuxiliaryNetwork<T>> auxiliary_;
  std::size_t shared_parameter_count_ = 0, scenario_parameter_count_ = 0;
  ScenarioRouting routing_;
};

}  // namespace adaptrec::heads
