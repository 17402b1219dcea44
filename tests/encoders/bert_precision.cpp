// Bert::set_precision: every Linear layer packed in fp32, bf16 or int8 for
// serving, on a tiny random model; the float training path stays as it was.
#include <adaptrec/encoders/bert.hpp>

#include <peft/tiny_bert.hpp>
#include <support/cpu_backend.hpp>
#include <support/expect_throw.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace adaptrec;
using adaptrec_test::built_cpu_backends;
using adaptrec_test::CpuBackendScope;
using backend::ActivationScaling;
using backend::Precision;

namespace {

encoders::Bert<float> tiny_model() {
  Rng rng(7);
  return encoders::Bert<float>(adaptrec_test::tiny_bert_config(), rng);
}

// Smallest cosine similarity between corresponding rows.
double min_cosine(const Tensor<float>& a, const Tensor<float>& b) {
  double worst = 1;
  for (index_t r = 0; r < a.rows(); ++r) {
    double ab = 0, aa = 0, bb = 0;
    for (index_t c = 0; c < a.cols(); ++c) {
      const double x = a[r * a.cols() + c], y = b[r * a.cols() + c];
      ab += x * y, aa += x * x, bb += y * y;
    }
    worst = std::min(worst, ab / std::sqrt(aa * bb));
  }
  return worst;
}

double max_abs_difference(const Tensor<float>& a, const Tensor<float>& b) {
  double d = 0;
  for (index_t i = 0; i < a.size(); ++i) d = std::max(d, double(std::abs(a[i] - b[i])));
  return d;
}

// On each CPU backend: body(model in eval mode, the batch, its float32 output).
template <class F>
void on_each_backend(F&& body) {
  const auto batch = adaptrec_test::tiny_padded_batch();
  for (const auto b : built_cpu_backends()) {
    CpuBackendScope scope(b);
    auto model = tiny_model();
    model.eval();
    const Tensor<float> reference = model.forward(batch);
    body(model, batch, reference);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_bert_precision)

BOOST_AUTO_TEST_CASE(packed_fp32_matches_the_float_path_and_lower_precisions_stay_close) {
  on_each_backend([](auto& model, const auto& batch, const Tensor<float>& reference) {
    model.set_precision(Precision::fp32);
    BOOST_TEST(max_abs_difference(model.forward(batch), reference) < 1e-5);
    model.set_precision(Precision::bf16);
    BOOST_TEST((model.precision() == Precision::bf16));
    BOOST_TEST(min_cosine(model.forward(batch), reference) > 0.999);
    for (const auto scaling : {ActivationScaling::per_token, ActivationScaling::per_tensor}) {
      model.set_precision(Precision::int8, {.activations = scaling});
      BOOST_TEST(min_cosine(model.forward(batch), reference) > 0.99, backend::to_string(scaling));
    }
    model.layer(0).intermediate().set_precision(Precision::bf16);
    BOOST_TEST(!model.precision().has_value());  // mixed: no one precision to report
    model.clear_precision();
    BOOST_TEST((model.precision() == Precision::fp32));
    BOOST_TEST(max_abs_difference(model.forward(batch), reference) == 0.0);
  });
}

BOOST_AUTO_TEST_CASE(calibrated_int8_uses_the_observed_ranges) {
  const auto batch = adaptrec_test::tiny_padded_batch();
  auto model = tiny_model();
  model.eval();
  const Tensor<float> reference = model.forward(batch);
  adaptrec_test::require_throw_naming<invalid_argument>(
      [&] { model.set_precision(Precision::int8, {.activations = ActivationScaling::calibrated}); },
      {"encoder.layer.0.attention.self.query", "calibrate"});
  model.calibrate({batch});
  model.set_precision(Precision::int8, {.activations = ActivationScaling::calibrated});
  BOOST_TEST(min_cosine(model.forward(batch), reference) > 0.99);
}

// Entering eval mode repacks a trainable weight, so serving follows training.
BOOST_AUTO_TEST_CASE(eval_repacks_weights_changed_by_training) {
  const auto batch = adaptrec_test::tiny_padded_batch();
  auto model = tiny_model();
  model.set_precision(Precision::fp32);
  model.train();
  auto& w = model.layer(1).intermediate().weight().value;
  for (float& v : w) v *= 1.5f;
  model.eval();
  const Tensor<float> served = model.forward(batch);
  model.clear_precision();
  BOOST_TEST(max_abs_difference(served, model.forward(batch)) < 1e-5);
}

// Frozen layers keep their packed weights in training; backward still runs
// on the float weights and reaches the trainable layer norms.
BOOST_AUTO_TEST_CASE(frozen_packed_layers_train_what_is_trainable) {
  const auto batch = adaptrec_test::tiny_padded_batch();
  auto model = tiny_model();
  model.for_each_linear([](const std::string&, layers::Linear<float>& l) {
    l.weight().trainable = false;
    l.bias().trainable = false;
  });
  model.set_precision(Precision::bf16);
  model.train();
  const Tensor<float> h = model.forward(batch);
  Tensor<float> dy(h.shape());
  dy.fill(1.0f);
  zero_grad(model);
  model.backward(dy);
  const auto& g = model.layer(1).output_layer_norm().weight().grad;
  double norm = 0;
  for (float v : g) norm += std::abs(v);
  BOOST_TEST(std::isfinite(norm));
  BOOST_TEST(norm > 0);
}

// The fused inference path keeps nothing for backward, and says so.
BOOST_AUTO_TEST_CASE(backward_after_a_served_forward_is_refused) {
  const auto batch = adaptrec_test::tiny_padded_batch();
  auto model = tiny_model();
  model.eval();
  model.set_precision(Precision::bf16);
  const Tensor<float> h = model.forward(batch);
  Tensor<float> dy(h.shape());
  dy.fill(1.0f);
  adaptrec_test::require_throw_naming<error>([&] { model.backward(dy); },
                                             {"kept nothing for backward"});
}

// bf16 for a call: a ComputePrecisionScope around forward, the weights
// rounded once (on the first call) and the attention products in bf16 too.
BOOST_AUTO_TEST_CASE(a_bf16_scope_runs_one_call_in_bf16) {
  on_each_backend([](auto& model, const auto& batch, const Tensor<float>& reference) {
    Tensor<float> first, second;
    {
      backend::ComputePrecisionScope bf16(Precision::bf16);
      first = model.forward(batch);
      second = model.forward(batch);
    }
    BOOST_TEST(min_cosine(first, reference) > 0.999);
    BOOST_TEST(max_abs_difference(first, reference) > 0.0, "the scope changed nothing");
    BOOST_TEST(max_abs_difference(second, first) == 0.0);
    BOOST_TEST(max_abs_difference(model.forward(batch), reference) == 0.0);
  });
}

BOOST_AUTO_TEST_SUITE_END()
