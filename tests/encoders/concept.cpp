#include <adaptrec/encoders/concept.hpp>
#include <adaptrec/encoders/item_text_encoder.hpp>
#include <adaptrec/encoders/multimodal_projector.hpp>
#include <adaptrec/encoders/transe.hpp>
#include <adaptrec/layers/embedding.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using namespace adaptrec;
using encoders::Encoder;

namespace {

// A complete encoder; each near miss below drops one member of it.
struct Complete : TrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const Tensor<index_t>&) { return {}; }
  void backward(const Tensor<float>&) {}
  index_t output_dim() const { return 1; }
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};

struct NoBackward : TrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const Tensor<index_t>&) { return {}; }
  index_t output_dim() const { return 1; }
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};

struct NoOutputDim : TrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const Tensor<index_t>&) { return {}; }
  void backward(const Tensor<float>&) {}
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};

// Maps float features, not ids: a layer, not an encoder.
struct ForwardOfFloats : TrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const Tensor<float>&) { return {}; }
  void backward(const Tensor<float>&) {}
  index_t output_dim() const { return 1; }
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};

struct NoTrainingMode {
  using scalar_type = float;
  Tensor<float> forward(const Tensor<index_t>&) { return {}; }
  void backward(const Tensor<float>&) {}
  index_t output_dim() const { return 1; }
  template <class F>
  void visit_parameters(F&&, const std::string&) {}
};

struct IntegerScalar : TrainingMode {
  using scalar_type = int;
};

}  // namespace

static_assert(Encoder<Complete>);
static_assert(encoders::check_encoder<Complete>());
static_assert(Encoder<encoders::TransE<float>>);
static_assert(Encoder<encoders::TransE<double>>);
static_assert(Encoder<encoders::MultimodalProjector<float>>);
static_assert(Encoder<encoders::MultimodalProjector<double>>);
static_assert(Encoder<encoders::ItemTextEncoder<float>>);
static_assert(Encoder<encoders::ItemTextEncoder<double>>);

static_assert(Encoder<layers::Embedding<float>>);
static_assert(Encoder<layers::Embedding<double>>);

static_assert(!Encoder<NoBackward>);
static_assert(!encoders::detail::backpropagates<NoBackward>);
static_assert(!Encoder<NoOutputDim>);
static_assert(!encoders::detail::reports_output_dim<NoOutputDim>);
static_assert(!Encoder<ForwardOfFloats>);
static_assert(!encoders::detail::encodes_ids<ForwardOfFloats>);
static_assert(!Encoder<NoTrainingMode>);
static_assert(!encoders::detail::switches_training_mode<NoTrainingMode>);
static_assert(!Encoder<IntegerScalar>);
static_assert(!encoders::detail::has_scalar_type<IntegerScalar>);

BOOST_AUTO_TEST_SUITE(encoders_concept)

BOOST_AUTO_TEST_CASE(models_and_near_misses_are_checked_at_compile_time) {
  BOOST_TEST(Encoder<encoders::TransE<float>>);
  BOOST_TEST(!Encoder<NoOutputDim>);
}

BOOST_AUTO_TEST_SUITE_END()
