#pragma once
// Shared checks for the heads tests: an adapter that binds scenario ids so the
// module gradient check applies, row-at-a-time comparisons, and plain-loop
// references (MLP, softmax) computed from a head's named parameters.
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <map>
#include <span>
#include <sstream>
#include <string>
#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>
#include <support/random_tensor.hpp>
#include <vector>

namespace adaptrec_test {

using adaptrec::index_t;
using adaptrec::Shape;

// A head with its scenario ids fixed: a one-input module for check_module_gradients.
template <class H>
struct WithScenarios {
  using scalar_type = typename H::scalar_type;
  H& head;
  std::vector<index_t> scenario;

  Tensor<scalar_type> forward(const Tensor<scalar_type>& x) { return head.forward(x, scenario); }
  Tensor<scalar_type> backward(const Tensor<scalar_type>& dy) { return head.backward(dy); }
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    head.visit_parameters(f, prefix);
  }
};

template <class H>
void check_head_gradients(H& head, const Tensor<double>& x, std::vector<index_t> scenario,
                          adaptrec::Rng& rng, double tol = fd_tolerance) {
  WithScenarios<H> bound{head, std::move(scenario)};
  check_module_gradients(bound, x, rng, tol);
}

inline Tensor<double> row_of(const Tensor<double>& x, index_t r) {
  Tensor<double> row(Shape{1, x.dim(1)});
  std::copy_n(x.data() + r * x.dim(1), x.dim(1), row.data());
  return row;
}

inline void require_close(const Tensor<double>& a, const Tensor<double>& b, const std::string& what,
                          double tol = 1e-12) {
  BOOST_REQUIRE_MESSAGE(a.shape() == b.shape(), what << ": shapes " << a.shape().to_string()
                                                     << " and " << b.shape().to_string());
  for (index_t i = 0; i < a.size(); ++i)
    if (std::abs(a[i] - b[i]) > tol * std::max(1.0, std::abs(b[i])))
      BOOST_ERROR(what << "[" << i << "]: " << a[i] << " vs " << b[i]);
}

// Running every row alone (a batch of one scenario) gives the rows of the
// mixed batch's output.
template <class H>
void check_rows_match_mixed_batch(H& head, const Tensor<double>& x,
                                  const std::vector<index_t>& scenario, double tol = 1e-12) {
  const Tensor<double> batched = head.forward(x, scenario);
  for (index_t r = 0; r < x.dim(0); ++r) {
    const std::vector<index_t> one{scenario[static_cast<std::size_t>(r)]};
    const Tensor<double> alone = head.forward(row_of(x, r), one);
    require_close(alone, row_of(batched, r), "row " + std::to_string(r), tol);
  }
}

// Names of the parameters owned by scenario s: a path component that names a
// per-scenario container followed by the scenario's index.
inline bool belongs_to_scenario(const std::string& name, index_t s) {
  static const std::vector<std::string> containers{
      "towers", "gates", "scenario_experts", "scenario_gates", "scenario_weight", "scenario_bias"};
  std::vector<std::string> parts;
  std::stringstream in(name);
  for (std::string part; std::getline(in, part, '.');) parts.push_back(part);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i)
    if (std::find(containers.begin(), containers.end(), parts[i]) != containers.end() &&
        parts[i + 1] == std::to_string(s))
      return true;
  return false;
}

inline double max_abs(const Tensor<double>& t) {
  double m = 0;
  for (double v : t) m = std::max(m, std::abs(v));
  return m;
}

// After a backward on a batch of scenario `used` only: other scenarios'
// parameters hold no gradient, and those of `used` do.
template <class H>
void check_only_scenario_gets_gradient(H& head, index_t used, index_t num_scenarios) {
  for (auto& [name, p] : adaptrec::collect_parameters(head)) {
    bool other = false;
    for (index_t s = 0; s < num_scenarios; ++s)
      if (s != used && belongs_to_scenario(name, s)) other = true;
    if (other)
      BOOST_TEST(max_abs(p->grad) == 0.0,
                 name << " got gradient from a scenario-" << used << " batch");
    else if (belongs_to_scenario(name, used))
      BOOST_TEST(max_abs(p->grad) > 0.0, name << " got no gradient");
  }
}

// Parameter values by name.
template <class H>
std::map<std::string, Tensor<double>> parameter_values(H& head) {
  std::map<std::string, Tensor<double>> values;
  for (auto& [name, p] : adaptrec::collect_parameters(head)) values.emplace(name, p->value);
  return values;
}

using Vector = std::vector<double>;

// W x (+ b) with W [out, in] from `values[prefix.weight]`.
inline Vector linear_reference(const std::map<std::string, Tensor<double>>& values,
                               const std::string& prefix, const Vector& x, bool with_bias = true) {
  const Tensor<double>& w = values.at(prefix + ".weight");
  Vector y(static_cast<std::size_t>(w.dim(0)), 0.0);
  for (index_t o = 0; o < w.dim(0); ++o) {
    double s = with_bias ? values.at(prefix + ".bias")[o] : 0.0;
    for (index_t i = 0; i < w.dim(1); ++i) s += w(o, i) * x[static_cast<std::size_t>(i)];
    y[static_cast<std::size_t>(o)] = s;
  }
  return y;
}

// A layers::MLP without dropout: linear layers at positions 0, 2, 4, ...
inline Vector mlp_reference(const std::map<std::string, Tensor<double>>& values,
                            const std::string& prefix, Vector h, bool activate_last) {
  std::size_t layers = 0;
  while (values.count(prefix + "." + std::to_string(2 * layers) + ".weight")) ++layers;
  BOOST_REQUIRE_MESSAGE(layers > 0, "no MLP under " << prefix);
  for (std::size_t l = 0; l < layers; ++l) {
    h = linear_reference(values, prefix + "." + std::to_string(2 * l), h);
    if (l + 1 < layers || activate_last)
      for (double& v : h) v = std::max(v, 0.0);
  }
  return h;
}

inline Vector softmax_reference(const Vector& logits) {
  const double top = *std::max_element(logits.begin(), logits.end());
  Vector p(logits.size());
  double total = 0;
  for (std::size_t i = 0; i < p.size(); ++i) total += p[i] = std::exp(logits[i] - top);
  for (double& v : p) v /= total;
  return p;
}

// sum_i weights[i] * experts[i]
inline Vector mix_reference(const Vector& weights, const std::vector<Vector>& experts) {
  Vector out(experts.front().size(), 0.0);
  for (std::size_t i = 0; i < experts.size(); ++i)
    for (std::size_t c = 0; c < out.size(); ++c) out[c] += weights[i] * experts[i][c];
  return out;
}

inline Vector row_vector(const Tensor<double>& x, index_t r) {
  return Vector(x.data() + r * x.dim(1), x.data() + (r + 1) * x.dim(1));
}

inline std::vector<std::string> parameter_names(auto& head, const std::string& prefix = {}) {
  std::vector<std::string> names;
  for (auto& p : adaptrec::collect_parameters(head, prefix)) names.push_back(p.name);
  return names;
}

// The input checks every head makes, with messages naming `who` and the
// shape, row or id involved.
template <class H>
void check_input_errors(H& head, const std::string& who, adaptrec::Rng& rng) {
  using T = typename H::scalar_type;
  const index_t d = head.input_dim(), S = head.num_scenarios();
  Tensor<T> x(Shape{3, d});
  adaptrec::fill_uniform(x, T(-1), T(1), rng);
  const std::string shape = x.shape().to_string();
  require_throw_naming<adaptrec::shape_error>(
      [&] {
        head.forward(x, std::vector<index_t>{0, 0});
      },
      {who, "2 scenario ids", shape});
  require_throw_naming<adaptrec::index_error>(
      [&] {
        head.forward(x, std::vector<index_t>{0, S, 0});
      },
      {who, "scenario id " + std::to_string(S), "row 1"});
  require_throw_naming<adaptrec::index_error>(
      [&] {
        head.forward(x, std::vector<index_t>{0, 0, -1});
      },
      {who, "scenario id -1", "row 2"});
  Tensor<T> wide(Shape{2, d + 1});
  require_throw_naming<adaptrec::shape_error>(
      [&] {
        head.forward(wide, std::vector<index_t>{0, 0});
      },
      {who, wide.shape().to_string(), "input_dim=" + std::to_string(d)});
  Tensor<T> flat(Shape{d});
  require_throw_naming<adaptrec::shape_error>([&] { head.forward(flat, std::vector<index_t>{}); },
                                              {who, flat.shape().to_string()});
  head.forward(x, std::vector<index_t>{0, S - 1, 0});
  Tensor<T> dy(Shape{2, head.output_dim()});
  require_throw_naming<adaptrec::shape_error>([&] { head.backward(dy); },
                                              {who, dy.shape().to_string()});
}

}  // namespace adaptrec_test
