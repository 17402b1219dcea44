#include <adaptrec/heads.hpp>
#include <boost/test/unit_test.hpp>

#include "head_testing.hpp"

using namespace adaptrec;
using namespace adaptrec_test;

static_assert(heads::check_head<heads::MlpHead<float>>());
static_assert(heads::check_head<heads::SharedBottom<float>>());
static_assert(heads::check_head<heads::Mmoe<float>>());
static_assert(heads::check_head<heads::Ple<float>>());
static_assert(heads::check_head<heads::Star<float>>());
static_assert(heads::check_head<heads::PartitionedNormalization<float>>());
static_assert(heads::Head<heads::MlpHead<double>>);
static_assert(heads::Head<heads::SharedBottom<double>>);
static_assert(heads::Head<heads::Mmoe<double>>);
static_assert(heads::Head<heads::Ple<double>>);
static_assert(heads::Head<heads::Star<double>>);
static_assert(heads::Head<heads::PartitionedNormalization<double>>);

namespace {

// Near misses: each lacks one requirement of Head.
struct Complete : TrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const Tensor<float>& x, std::span<const index_t>) { return x; }
  Tensor<float> backward(const Tensor<float>& dy) { return dy; }
  index_t input_dim() const { return 1; }
  index_t output_dim() const { return 1; }
  index_t num_scenarios() const { return 1; }
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};

struct NoBackward : TrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const Tensor<float>& x, std::span<const index_t>) { return x; }
  index_t input_dim() const { return 1; }
  index_t output_dim() const { return 1; }
  index_t num_scenarios() const { return 1; }
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};

// A scenario-unaware module: forward(x) without the scenario ids.
struct ScenarioBlind : TrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const Tensor<float>& x) { return x; }
  Tensor<float> backward(const Tensor<float>& dy) { return dy; }
  index_t input_dim() const { return 1; }
  index_t output_dim() const { return 1; }
  index_t num_scenarios() const { return 1; }
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};

struct NoScenarioCount : TrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const Tensor<float>& x, std::span<const index_t>) { return x; }
  Tensor<float> backward(const Tensor<float>& dy) { return dy; }
  index_t input_dim() const { return 1; }
  index_t output_dim() const { return 1; }
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};

struct NoTrainingSwitch {
  using scalar_type = float;
  Tensor<float> forward(const Tensor<float>& x, std::span<const index_t>) { return x; }
  Tensor<float> backward(const Tensor<float>& dy) { return dy; }
  index_t input_dim() const { return 1; }
  index_t output_dim() const { return 1; }
  index_t num_scenarios() const { return 1; }
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};

struct NoScalarType : TrainingMode {
  Tensor<float> forward(const Tensor<float>& x, std::span<const index_t>) { return x; }
  Tensor<float> backward(const Tensor<float>& dy) { return dy; }
  index_t input_dim() const { return 1; }
  index_t output_dim() const { return 1; }
  index_t num_scenarios() const { return 1; }
};

}  // namespace

static_assert(heads::Head<Complete>);
static_assert(!heads::Head<NoBackward>);
static_assert(!heads::detail::returns_input_gradient<NoBackward>);
static_assert(!heads::Head<ScenarioBlind>);
static_assert(!heads::detail::maps_scenario_batches<ScenarioBlind>);
static_assert(!heads::Head<NoScenarioCount>);
static_assert(!heads::detail::reports_dimensions<NoScenarioCount>);
static_assert(!heads::Head<NoTrainingSwitch>);
static_assert(!heads::detail::switches_training<NoTrainingSwitch>);
static_assert(!heads::Head<NoScalarType>);
static_assert(!heads::detail::has_scalar_type<NoScalarType>);
static_assert(!heads::Head<layers::Linear<float>>);

BOOST_AUTO_TEST_SUITE(heads_concept)

// Every head runs in float on a mixed batch through the same generic code.
template <class H>
void run_mixed_float_batch(H& head) {
  static_assert(heads::check_head<H>());
  Rng rng(1);
  const Tensor<float> x = random_tensor<float>(Shape{5, head.input_dim()}, rng);
  const std::vector<index_t> scenario{0, 1, 0, 1, 1};
  const Tensor<float> y = head.forward(x, scenario);
  BOOST_TEST(y.shape() == (Shape{5, head.output_dim()}));
  const Tensor<float> dx = head.backward(Tensor<float>::full(y.shape(), 1.0f));
  BOOST_TEST(dx.shape() == x.shape());
  for (float v : y) BOOST_TEST(std::isfinite(v));
  head.eval();
  BOOST_TEST(!head.is_training());
}

BOOST_AUTO_TEST_CASE(every_head_runs_generically_in_float) {
  Rng rng(2);
  heads::MlpHead<float> mlp(
      {.input_dim = 4, .output_dim = 2, .num_scenarios = 2, .hidden_widths = {3}}, rng);
  run_mixed_float_batch(mlp);
  heads::SharedBottom<float> shared({.input_dim = 4,
                                     .output_dim = 2,
                                     .num_scenarios = 2,
                                     .bottom_widths = {3},
                                     .tower_widths = {3}},
                                    rng);
  run_mixed_float_batch(shared);
  heads::Mmoe<float> mmoe({.input_dim = 4,
                           .output_dim = 2,
                           .num_scenarios = 2,
                           .num_experts = 2,
                           .expert_widths = {3},
                           .tower_widths = {}},
                          rng);
  run_mixed_float_batch(mmoe);
  heads::Ple<float> ple(
      {.input_dim = 4, .output_dim = 2, .num_scenarios = 2, .num_levels = 2, .expert_widths = {3}},
      rng);
  run_mixed_float_batch(ple);
  heads::Star<float> star({.input_dim = 4,
                           .output_dim = 1,
                           .num_scenarios = 2,
                           .hidden_widths = {3},
                           .partitioned_normalization = true,
                           .auxiliary_network = true},
                          rng);
  run_mixed_float_batch(star);
  heads::PartitionedNormalization<float> norm(4, 2);
  run_mixed_float_batch(norm);
}

BOOST_AUTO_TEST_SUITE_END()
