#include <adaptrec/fusion.hpp>
#include <adaptrec/layers/linear.hpp>

#include "fusion_checks.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace adaptrec;

BOOST_AUTO_TEST_SUITE(fusion_concept)

static_assert(fusion::Fusion<fusion::SumFusion<float>>);
static_assert(fusion::Fusion<fusion::ConcatFusion<float>>);
static_assert(fusion::Fusion<fusion::GatedFusion<float>>);
static_assert(fusion::Fusion<fusion::AttentionFusion<float>>);
static_assert(fusion::Fusion<fusion::CrossFusion<float>>);
static_assert(fusion::Fusion<fusion::SumFusion<double>>);
static_assert(fusion::Fusion<fusion::ConcatFusion<double>>);
static_assert(fusion::Fusion<fusion::GatedFusion<double>>);
static_assert(fusion::Fusion<fusion::AttentionFusion<double>>);
static_assert(fusion::Fusion<fusion::CrossFusion<double>>);
static_assert(fusion::check_fusion<fusion::AttentionFusion<float>>());

namespace {

// A complete fusion, and near misses that each lack one requirement.
struct Complete : TrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const std::vector<Tensor<float>>& sources) { return sources.front(); }
  std::vector<Tensor<float>> backward(const Tensor<float>& dy) { return {dy}; }
  index_t output_dim() const { return 1; }
  std::size_t num_sources() const { return 1; }
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};
struct NoScalarType : Complete {
  using scalar_type = void;
};
struct NoBackward : TrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const std::vector<Tensor<float>>& sources) { return sources.front(); }
  index_t output_dim() const { return 1; }
  std::size_t num_sources() const { return 1; }
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};
// backward returns one tensor, as a single-input module's does.
struct BackwardReturnsOneTensor : Complete {
  Tensor<float> backward(const Tensor<float>& dy) { return dy; }
};
struct NoOutputDim : TrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const std::vector<Tensor<float>>& sources) { return sources.front(); }
  std::vector<Tensor<float>> backward(const Tensor<float>& dy) { return {dy}; }
  std::size_t num_sources() const { return 1; }
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};
struct NoTrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const std::vector<Tensor<float>>& sources) { return sources.front(); }
  std::vector<Tensor<float>> backward(const Tensor<float>& dy) { return {dy}; }
  index_t output_dim() const { return 1; }
  std::size_t num_sources() const { return 1; }
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};
struct NoVisitParameters : TrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const std::vector<Tensor<float>>& sources) { return sources.front(); }
  std::vector<Tensor<float>> backward(const Tensor<float>& dy) { return {dy}; }
  index_t output_dim() const { return 1; }
  std::size_t num_sources() const { return 1; }
};

// What a pipeline template does: check the concept, then use only what it promises.
template <class F>
Tensor<typename F::scalar_type> fuse_and_backpropagate(
    F& fusion, const std::vector<Tensor<typename F::scalar_type>>& sources) {
  static_assert(fusion::check_fusion<F>());
  Tensor<typename F::scalar_type> y = fusion.forward(sources);
  BOOST_TEST(fusion.num_sources() == sources.size());
  BOOST_TEST(y.shape() == (Shape{sources.front().dim(0), fusion.output_dim()}));
  const auto grads = fusion.backward(Tensor<typename F::scalar_type>::full(y.shape(), 1));
  BOOST_REQUIRE_EQUAL(grads.size(), sources.size());
  for (std::size_t i = 0; i < grads.size(); ++i)
    BOOST_TEST(grads[i].shape() == sources[i].shape());
  return y;
}

}  // namespace

static_assert(fusion::Fusion<Complete>);
static_assert(!fusion::Fusion<NoScalarType>);
static_assert(!fusion::Fusion<NoBackward>);
static_assert(!fusion::Fusion<BackwardReturnsOneTensor>);
static_assert(!fusion::Fusion<NoOutputDim>);
static_assert(!fusion::Fusion<NoTrainingMode>);
static_assert(!fusion::Fusion<NoVisitParameters>);
static_assert(!fusion::Fusion<layers::Linear<float>>);
static_assert(!fusion::Fusion<Tensor<float>>);
// Each near miss fails exactly the small requirement named after it.
static_assert(fusion::detail::fuses_sources<NoBackward> &&
              !fusion::detail::returns_source_gradients<NoBackward>);
static_assert(!fusion::detail::returns_source_gradients<BackwardReturnsOneTensor>);
static_assert(!fusion::detail::reports_output_dim<NoOutputDim>);
static_assert(!fusion::detail::switches_training_mode<NoTrainingMode>);
static_assert(!fusion::detail::visits_parameters<NoVisitParameters>);
static_assert(!fusion::detail::fuses_sources<layers::Linear<float>>);

// An item from its ID embedding (32), text vector (384) and attributes (8).
BOOST_AUTO_TEST_CASE(every_fusion_runs_through_a_generic_pipeline) {
  Rng rng(1);
  const std::vector<index_t> dims{32, 384, 8};
  const auto sources = adaptrec_test::random_sources<float>(dims, 5, rng);
  fusion::ConcatFusion<float> concat(dims, 64, rng);
  fusion::GatedFusion<float> gated(dims, 64, rng);
  fusion::AttentionFusion<float> attention(dims, 64, 16, rng);
  fusion::CrossFusion<float> cross(dims, 64, 2, rng);
  fuse_and_backpropagate(concat, sources);
  fuse_and_backpropagate(gated, sources);
  fuse_and_backpropagate(attention, sources);
  fuse_and_backpropagate(cross, sources);
  fusion::SumFusion<float> sum({64, 64, 64});
  fuse_and_backpropagate(sum, adaptrec_test::random_sources<float>({64, 64, 64}, 5, rng));
}

// The float modules agree with the double ones built from the same seed.
BOOST_AUTO_TEST_CASE(float_matches_double) {
  const std::vector<index_t> dims{16, 48, 4};
  Rng float_rng(2), double_rng(2), data_rng(3);
  fusion::AttentionFusion<float> attention_f(dims, 24, 8, float_rng);
  fusion::AttentionFusion<double> attention_d(dims, 24, 8, double_rng);
  fusion::GatedFusion<float> gated_f(dims, 24, float_rng);
  fusion::GatedFusion<double> gated_d(dims, 24, double_rng);
  const auto sources_d = adaptrec_test::random_sources<double>(dims, 9, data_rng);
  std::vector<Tensor<float>> sources_f;
  for (const auto& s : sources_d) sources_f.push_back(s.cast<float>());
  auto max_difference = [](const Tensor<float>& a, const Tensor<double>& b) {
    double m = 0;
    for (index_t k = 0; k < a.size(); ++k) m = std::max(m, std::abs(double(a[k]) - b[k]));
    return m;
  };
  BOOST_TEST(max_difference(attention_f.forward(sources_f), attention_d.forward(sources_d)) < 1e-5);
  BOOST_TEST(max_difference(gated_f.forward(sources_f), gated_d.forward(sources_d)) < 1e-5);
}

BOOST_AUTO_TEST_CASE(eval_reaches_every_fusion) {
  Rng rng(4);
  fusion::AttentionFusion<float> attention({4, 4}, 4, 2, rng);
  fusion::CrossFusion<float> cross({4, 4}, 4, 1, rng);
  attention.eval();
  cross.eval();
  BOOST_TEST(!attention.is_training());
  BOOST_TEST(!attention.attention().is_training());
  BOOST_TEST(!attention.projection(1).is_training());
  BOOST_TEST(!cross.cross().is_training());
  BOOST_TEST(!cross.projection().is_training());
}

BOOST_AUTO_TEST_SUITE_END()
