#pragma once
// Checks shared by the fusion tests: finite-difference gradients for every
// source and parameter, the frozen-parameter rule, and the source-shape errors.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/fusion/concept.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>
#include <support/random_tensor.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace adaptrec_test {

using adaptrec::index_t;
using adaptrec::Shape;

// Random sources [batch, dims[i]].
template <class T>
std::vector<Tensor<T>> random_sources(const std::vector<index_t>& dims, index_t batch,
                                      adaptrec::Rng& rng) {
  std::vector<Tensor<T>> sources;
  for (index_t d : dims) sources.push_back(random_tensor<T>(Shape{batch, d}, rng));
  return sources;
}

// A fusion seen as a one-input module on the column-wise concatenation of its
// sources, so that check_module_gradients perturbs every element of every
// source and compares with the concatenated source gradients.
template <class F>
class SourcesAsOneInput {
 public:
  using scalar_type = typename F::scalar_type;

  SourcesAsOneInput(F& fusion, std::vector<index_t> dims) : fusion_(fusion), dims_(std::move(dims)) {}

  Tensor<scalar_type> forward(const Tensor<scalar_type>& x) {
    return fusion_.forward(adaptrec::backend::split_columns(x, dims_));
  }
  Tensor<scalar_type> backward(const Tensor<scalar_type>& dy) {
    const std::vector<Tensor<scalar_type>> grads = fusion_.backward(dy);
    BOOST_REQUIRE_EQUAL(grads.size(), dims_.size());
    std::vector<const Tensor<scalar_type>*> parts;
    for (std::size_t i = 0; i < grads.size(); ++i) {
      BOOST_REQUIRE(grads[i].shape() == (Shape{dy.dim(0), dims_[i]}));
      parts.push_back(&grads[i]);
    }
    return adaptrec::backend::concat_columns(parts);
  }
  template <class G>
  void visit_parameters(G&& g, const std::string& prefix) {
    fusion_.visit_parameters(g, prefix);
  }

 private:
  F& fusion_;
  std::vector<index_t> dims_;
};

// Finite differences for every source element and every parameter element.
template <class F>
void check_fusion_gradients(F& fusion, index_t batch, adaptrec::Rng& rng,
                            double tol = fd_tolerance) {
  static_assert(adaptrec::fusion::check_fusion<F>());
  const std::vector<index_t> dims = fusion.source_dims();
  SourcesAsOneInput<F> module(fusion, dims);
  index_t total = 0;
  for (index_t d : dims) total += d;
  check_module_gradients(module, random_tensor<double>(Shape{batch, total}, rng), rng, tol);
}

// With every parameter frozen, backward leaves every gradient at zero and still
// returns the source gradients (a frozen fusion under a trained encoder).
template <class F>
void check_frozen_parameters_get_no_gradient(F& fusion, index_t batch, adaptrec::Rng& rng) {
  using T = typename F::scalar_type;
  adaptrec::set_trainable(fusion, false);
  adaptrec::zero_grad(fusion);
  const auto sources = random_sources<T>(fusion.source_dims(), batch, rng);
  const Tensor<T> y = fusion.forward(sources);
  const auto grads = fusion.backward(random_tensor<T>(y.shape(), rng));
  BOOST_TEST(grads.size() == sources.size());
  bool any_source_gradient = false;
  for (const auto& g : grads)
    for (T v : g) any_source_gradient |= v != T(0);
  BOOST_TEST(any_source_gradient);
  fusion.visit_parameters(
      [](const std::string& name, adaptrec::Parameter<T>& p) {
        for (T v : p.grad) BOOST_TEST(v == T(0), name << " got a gradient while frozen");
      },
      std::string{});
}

// Wrong number of sources, a mismatched batch, a wrong width and a gradient of
// the wrong shape all throw shape_error naming the fusion, the source and the shapes.
template <class F>
void check_source_errors(F& fusion, const std::string& fusion_name, adaptrec::Rng& rng) {
  using T = typename F::scalar_type;
  const std::vector<index_t> dims = fusion.source_dims();
  const std::string count = std::to_string(dims.size());
  const std::string last = std::to_string(dims.size() - 1);

  auto too_few = random_sources<T>(dims, 3, rng);
  too_few.pop_back();
  require_throw_naming<adaptrec::shape_error>(
      [&] { fusion.forward(too_few); },
      {fusion_name, "expected " + count + " sources", "got " + std::to_string(dims.size() - 1)});

  auto too_many = random_sources<T>(dims, 3, rng);
  too_many.push_back(random_tensor<T>(Shape{3, 1}, rng));
  require_throw_naming<adaptrec::shape_error>(
      [&] { fusion.forward(too_many); }, {fusion_name, "expected " + count + " sources"});

  auto wrong_batch = random_sources<T>(dims, 3, rng);
  wrong_batch.back() = random_tensor<T>(Shape{4, dims.back()}, rng);
  require_throw_naming<adaptrec::shape_error>(
      [&] { fusion.forward(wrong_batch); },
      {fusion_name, "source " + last, Shape{4, dims.back()}.to_string(),
       Shape{3, dims.front()}.to_string(), "batch"});

  auto wrong_width = random_sources<T>(dims, 3, rng);
  wrong_width.back() = random_tensor<T>(Shape{3, dims.back() + 1}, rng);
  require_throw_naming<adaptrec::shape_error>(
      [&] { fusion.forward(wrong_width); },
      {fusion_name, "source " + last, Shape{3, dims.back() + 1}.to_string(),
       Shape{3, dims.back()}.to_string()});

  auto wrong_rank = random_sources<T>(dims, 3, rng);
  wrong_rank.front() = random_tensor<T>(Shape{3, 1, dims.front()}, rng);
  require_throw_naming<adaptrec::shape_error>(
      [&] { fusion.forward(wrong_rank); },
      {fusion_name, "source 0", Shape{3, 1, dims.front()}.to_string()});

  const Tensor<T> y = fusion.forward(random_sources<T>(dims, 3, rng));
  const Shape wrong_gradient{3, fusion.output_dim() + 1};
  require_throw_naming<adaptrec::shape_error>(
      [&] { fusion.backward(Tensor<T>(wrong_gradient)); },
      {fusion_name, "backward", wrong_gradient.to_string(), y.shape().to_string()});
}

// Every constructor rejects an empty source list and a non-positive width,
// naming its index; `make` builds the fusion from source_dims.
template <class Make>
void check_source_dims_validation(Make&& make, const std::string& fusion_name) {
  require_throw_naming<adaptrec::invalid_argument>([&] { make(std::vector<index_t>{}); },
                                                   {fusion_name, "source_dims", "empty"});
  require_throw_naming<adaptrec::invalid_argument>(
      [&] { make(std::vector<index_t>{4, 0}); }, {fusion_name, "source_dims[1] = 0"});
  require_throw_naming<adaptrec::invalid_argument>(
      [&] { make(std::vector<index_t>{-2, 4}); }, {fusion_name, "source_dims[0] = -2"});
}

// The dotted names of every parameter, in visiting order.
template <class F>
std::vector<std::string> parameter_names(F& fusion, const std::string& prefix = {}) {
  std::vector<std::string> names;
  for (const auto& p : adaptrec::collect_parameters(fusion, prefix)) names.push_back(p.name);
  return names;
}

}  // namespace adaptrec_test
