#pragma once
// Partitioned normalization (Sheng et al., CIKM 2021, "One Model to Serve All:
// Star Topology Adaptive Recommender for Multi-Domain CTR Prediction",
// sec. 4.2, eq. 1): batch normalization whose statistics and scale/shift are
// kept per scenario, because the rows of different scenarios are not
// identically distributed:
//   z' = (gamma * gamma_s) (z - E_s) / sqrt(Var_s + eps) + (beta + beta_s)
// In training E_s, Var_s are the mean and biased variance over the batch's
// rows of scenario s; at inference they are scenario s's moving averages,
//   running = (1 - momentum) running + momentum * batch statistic,
// with the unbiased variance, as PyTorch's BatchNorm keeps them. A scenario
// with a single row in a training batch updates its running mean only (one
// row has no variance estimate).
//
// Parameters: `weight` (gamma), `bias` (beta) shared; `scenario_weight.<s>`,
// `scenario_bias.<s>` [dim] per scenario (gamma_s = 1, beta_s = 0 at first),
// one tensor each so that a scenario can be frozen or trained on its own.
// The moving statistics are buffers, not parameters: visit_buffers walks
// `running_mean` and `running_var`, both [num_scenarios, dim].
#include <adaptrec/core/module.hpp>
#include <adaptrec/heads/scenario_routing.hpp>
#include <cmath>
#include <span>
#include <string>
#include <vector>

namespace adaptrec::heads {

struct PartitionedNormalizationOptions {
  double momentum = 0.1;
  double eps = 1e-5;
};

template <class T = float>
class PartitionedNormalization : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  PartitionedNormalization(index_t dim, index_t num_scenarios,
                           const PartitionedNormalizationOptions& options = {})
      : momentum_(T(options.momentum)), eps_(T(options.eps)) {
    require_positive(name, "dim", dim);
    require_positive(name, "num_scenarios", num_scenarios);
    if (!(options.momentum >= 0 && options.momentum <= 1))
      throw invalid_argument(std::string(name) + ": momentum must be in [0, 1], got " +
                             std::to_string(options.momentum));
    if (!(options.eps > 0) || std::isinf(options.eps))
      throw invalid_argument(std::string(name) + ": eps must be finite and > 0, got " +
                             std::to_string(options.eps));
    weight_ = Parameter<T>(Shape{dim});
    weight_.value.fill(T(1));
    bias_ = Parameter<T>(Shape{dim});
    for (index_t s = 0; s < num_scenarios; ++s) {
      scenario_weight_.emplace_back(Shape{dim});
      scenario_weight_.back().value.fill(T(1));
      scenario_bias_.emplace_back(Shape{dim});
    }
    running_mean_ = Tensor<T>(Shape{num_scenarios, dim});
    running_var_ = Tensor<T>::full(Shape{num_scenarios, dim}, T(1));
    normalized_.resize(static_cast<std::size_t>(num_scenarios));
    rstd_.resize(static_cast<std::size_t>(num_scenarios));
  }

  index_t dim() const { return weight_.shape()[0]; }
  index_t input_dim() const { return dim(); }
  index_t output_dim() const { return dim(); }
  index_t num_scenarios() const { return static_cast<index_t>(scenario_weight_.size()); }
  T momentum() const { return momentum_; }
  T eps() const { return eps_; }
  Parameter<T>& weight() { return weight_; }
  Parameter<T>& bias() { return bias_; }
  Parameter<T>& scenario_weight(index_t s) {
    return scenario_weight_.at(static_cast<std::size_t>(s));
  }
  Parameter<T>& scenario_bias(index_t s) { return scenario_bias_.at(static_cast<std::size_t>(s)); }
  Tensor<T>& running_mean() { return running_mean_; }
  Tensor<T>& running_var() { return running_var_; }

  // x [batch, dim] -> [batch, dim]
  Tensor<T> forward(const Tensor<T>& x, std::span<const index_t> scenario) {
    require_head_input(x, dim(), name);
    routing_ = ScenarioRouting(scenario, x.shape(), num_scenarios(), name);
    batch_statistics_ = is_training();
    const index_t d = dim();
    Tensor<T> y(x.shape());
    for (index_t s : routing_.active()) {
      const auto i = static_cast<std::size_t>(s);
      Tensor<T> storage;
      const Tensor<T>& xs = routing_.select(x, s, storage);
      const index_t n = xs.rows();
      Tensor<T> mean(Shape{d});
      rstd_[i] = Tensor<T>(Shape{d});
      if (batch_statistics_) {
        Tensor<T> var(Shape{d});
        column_moments(xs, mean, var);
        update_running_statistics(s, n, mean, var);
        for (index_t c = 0; c < d; ++c) rstd_[i][c] = T(1) / std::sqrt(var[c] + eps_);
      } else {
        for (index_t c = 0; c < d; ++c) {
          mean[c] = running_mean_(s, c);
          rstd_[i][c] = T(1) / std::sqrt(running_var_(s, c) + eps_);
        }
      }
      const Tensor<T> gamma = effective_weight(s);
      Tensor<T> ys(xs.shape());
      normalized_[i] = Tensor<T>(xs.shape());
      const T* shared_shift = bias_.value.data();
      const T* own_shift = scenario_bias_[i].value.data();
      for (index_t r = 0; r < n; ++r) {
        const T* in = xs.data() + r * d;
        T* xhat = normalized_[i].data() + r * d;
        T* out = ys.data() + r * d;
        for (index_t c = 0; c < d; ++c) {
          xhat[c] = (in[c] - mean[c]) * rstd_[i][c];
          out[c] = gamma[c] * xhat[c] + shared_shift[c] + own_shift[c];
        }
      }
      routing_.place(std::move(ys), s, y);
    }
    return y;
  }

  // dy [batch, dim] -> dx; in training mode the statistics are functions of
  // the scenario's rows and pass gradient back to all of them.
  Tensor<T> backward(const Tensor<T>& dy) {
    require_shape(dy, Shape{routing_.batch(), dim()},
                  "adaptrec::heads::PartitionedNormalization::backward");
    const index_t d = dim();
    Tensor<T> dx(dy.shape());
    for (index_t s : routing_.active()) {
      const auto i = static_cast<std::size_t>(s);
      Tensor<T> storage;
      const Tensor<T>& dys = routing_.select(dy, s, storage);
      const Tensor<T>& xhat = normalized_[i];
      const index_t n = dys.rows();
      Tensor<T> sum_dy(Shape{d}), sum_dy_xhat(Shape{d});
      backend::accumulate_column_sums(dys, sum_dy);
      Tensor<T> product(dys.shape());
      backend::multiply(dys, xhat, product);
      backend::accumulate_column_sums(product, sum_dy_xhat);
      accumulate_parameter_gradients(s, sum_dy, sum_dy_xhat);

      const Tensor<T> gamma = effective_weight(s);
      const T inv_n = T(1) / T(n);
      Tensor<T> dxs(dys.shape());
      for (index_t r = 0; r < n; ++r) {
        const T* g = dys.data() + r * d;
        const T* h = xhat.data() + r * d;
        T* out = dxs.data() + r * d;
        for (index_t c = 0; c < d; ++c) {
          const T centred =
              batch_statistics_ ? g[c] - (sum_dy[c] + h[c] * sum_dy_xhat[c]) * inv_n : g[c];
          out[c] = gamma[c] * rstd_[i][c] * centred;
        }
      }
      routing_.place(std::move(dxs), s, dx);
    }
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

  // f(name, Tensor<T>&) for the moving statistics.
  template <class F>
  void visit_buffers(F&& f, const std::string& prefix) {
    f(join_name(prefix, "running_mean"), running_mean_);
    f(join_name(prefix, "running_var"), running_var_);
  }

 private:
  static constexpr const char* name = "adaptrec::heads::PartitionedNormalization";

  // Two passes (mean, then squared deviations) in double: one pass of
  // E[x^2] - E[x]^2 loses the variance of large-mean features to cancellation.
  static void column_moments(const Tensor<T>& x, Tensor<T>& mean, Tensor<T>& var) {
    const index_t n = x.rows(), d = x.cols();
    std::vector<double> sum(static_cast<std::size_t>(d), 0.0), squares(sum);
    for (index_t r = 0; r < n; ++r)
      for (index_t c = 0; c < d; ++c) sum[static_cast<std::size_t>(c)] += double(x[r * d + c]);
    for (index_t c = 0; c < d; ++c) mean[c] = T(sum[static_cast<std::size_t>(c)] / double(n));
    for (index_t r = 0; r < n; ++r)
      for (index_t c = 0; c < d; ++c) {
        const double deviation = double(x[r * d + c]) - double(mean[c]);
        squares[static_cast<std::size_t>(c)] += deviation * deviation;
      }
    for (index_t c = 0; c < d; ++c) var[c] = T(squares[static_cast<std::size_t>(c)] / double(n));
  }

  void update_running_statistics(index_t s, index_t n, const Tensor<T>& mean,
                                 const Tensor<T>& var) {
    const T unbiased = n > 1 ? T(n) / T(n - 1) : T(0);
    for (index_t c = 0; c < dim(); ++c) {
      running_mean_(s, c) = (T(1) - momentum_) * running_mean_(s, c) + momentum_ * mean[c];
      if (n > 1)
        running_var_(s, c) =
            (T(1) - momentum_) * running_var_(s, c) + momentum_ * var[c] * unbiased;
    }
  }

  // gamma * gamma_s
  Tensor<T> effective_weight(index_t s) const {
    Tensor<T> gamma(Shape{dim()});
    backend::multiply(weight_.value, scenario_weight_[static_cast<std::size_t>(s)].value, gamma);
    return gamma;
  }

  // d gamma = sum(dy xhat) gamma_s, d gamma_s = sum(dy xhat) gamma, and both
  // shifts take sum(dy).
  void accumulate_parameter_gradients(index_t s, const Tensor<T>& sum_dy,
                                      const Tensor<T>& sum_dy_xhat) {
    Parameter<T>& own_weight = scenario_weight_[static_cast<std::size_t>(s)];
    Parameter<T>& own_bias = scenario_bias_[static_cast<std::size_t>(s)];
    Tensor<T> scaled(Shape{dim()});
    if (weight_.trainable) {
      backend::multiply(sum_dy_xhat, own_weight.value, scaled);
      backend::axpy(T(1), scaled, weight_.grad);
    }
    if (own_weight.trainable) {
      backend::multiply(sum_dy_xhat, weight_.value, scaled);
      backend::axpy(T(1), scaled, own_weight.grad);
    }
    if (bias_.trainable) backend::axpy(T(1), sum_dy, bias_.grad);
    if (own_bias.trainable) backend::axpy(T(1), sum_dy, own_bias.grad);
  }

  T momentum_, eps_;
  Parameter<T> weight_, bias_;
  std::vector<Parameter<T>> scenario_weight_, scenario_bias_;
  Tensor<T> running_mean_, running_var_;
  ScenarioRouting routing_;
  bool batch_statistics_ = true;
  std::vector<Tensor<T>> normalized_;  // xhat of each active scenario's rows
  std::vector<Tensor<T>> rstd_;        // 1 / sqrt(Var_s + eps), [dim]
};

}  // namespace adaptrec::heads
