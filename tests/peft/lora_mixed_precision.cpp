// Mixed-precision LoRA training on the CPU: inside a bf16
// ComputePrecisionScope every GEMM of the forward and backward passes
// multiplies bfloat16-rounded numbers, while the weights, their gradients and
// the optimizer's state stay float32. Gradients stay near float32's, the
// backbone does not move, and training converges like float32.
#include <adaptrec/backend/compute_precision.hpp>
#include <adaptrec/optim/adamw.hpp>
#include <adaptrec/peft/freezing.hpp>
#include <adaptrec/peft/lora.hpp>

#include <peft/tiny_bert.hpp>
#include <support/cpu_backend.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <string>

using namespace adaptrec;
using adaptrec_test::built_cpu_backends;
using adaptrec_test::CpuBackendScope;
using backend::ComputePrecisionScope;
using backend::Precision;
using encoders::Bert;
using peft::LinearTarget;
using peft::Lora;
using peft::LoraOptions;

namespace {

LoraOptions query_value_and_ffn() {
  LoraOptions o;
  o.rank = 4;
  o.alpha = 8;
  o.targets = {LinearTarget::query, LinearTarget::value, LinearTarget::intermediate};
  return o;
}

struct Setup {
  Rng rng{21};
  Bert<float> model{adaptrec_test::tiny_bert_config(), rng};
  Bert<float> original{model};  // before LoRA is attached
  Lora<float> lora{model, query_value_and_ffn(), rng};
  Tensor<float> target;
  Setup() {
    lora.visit_parameters(
        [&](const std::string& name, Parameter<float>& p) {
          if (name.ends_with("lora_B.weight")) fill_uniform(p.value, -0.5f, 0.5f, rng);
        },
        "");
    lora.attach(model);
    peft::freeze_backbone(model, lora);
  }

  // Mean squared distance of the hidden states to `target`; accumulates its
  // gradient into the trainable parameters.
  double step_loss(const text::TokenBatch& batch) {
    const Tensor<float> y = model.forward(batch);
    if (target.empty()) {
      target = Tensor<float>(y.shape());
      fill_uniform(target, -1.0f, 1.0f, rng);
    }
    Tensor<float> dy(y.shape());
    double loss = 0;
    for (index_t i = 0; i < y.size(); ++i) {
      const double d = double(y[i]) - double(target[i]);
      loss += 0.5 * d * d / double(y.size());
      dy[i] = float(d / double(y.size()));
    }
    model.backward(dy);
    return loss;
  }
};

std::map<std::string, std::vector<float>> trainable_gradients(Bert<float>& model) {
  std::map<std::string, std::vector<float>> grads;
  model.visit_parameters(
      [&](const std::string& name, Parameter<float>& p) {
        if (p.trainable) grads[name] = p.grad.to_vector();
      },
      "");
  return grads;
}

double relative_distance(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    norm += double(b[i]) * b[i];
  }
  return std::sqrt(diff / norm);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peft_lora_mixed_precision)

BOOST_AUTO_TEST_CASE(bf16_gradients_stay_near_float32) {
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  for (const auto b : built_cpu_backends()) {
    CpuBackendScope scope(b);
    Setup s;
    zero_grad(s.model);
    const double loss32 = s.step_loss(batch);
    const auto grads32 = trainable_gradients(s.model);
    zero_grad(s.model);
    double loss16 = 0;
    {
      ComputePrecisionScope bf16(Precision::bf16);
      loss16 = s.step_loss(batch);
    }
    const auto grads16 = trainable_gradients(s.model);
    BOOST_TEST(std::abs(loss16 - loss32) < 1e-2 * loss32);
    BOOST_TEST(loss16 != loss32, "bf16 changed nothing: the scope was not applied");
    BOOST_TEST(grads32.size() == 3u * 2u * 2u);  // 3 targets x 2 layers x (A, B)
    for (const auto& [name, g] : grads32) {
      const double d = relative_distance(grads16.at(name), g);
      BOOST_TEST(d < 3e-2, name << ": relative distance " << d);
      BOOST_TEST(d > 0.0, name);
    }
  }
}

BOOST_AUTO_TEST_CASE(bf16_training_converges_like_float32_and_leaves_the_backbone) {
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  double final_loss[2] = {0, 0}, first_loss = 0;
  for (int bf16 = 0; bf16 < 2; ++bf16) {
    Setup s;
    optim::AdamW<float> optimizer(collect_parameters(s.model), {.learning_rate = 0.02f});
    for (int step = 0; step < 40; ++step) {
      optimizer.zero_grad();
      ComputePrecisionScope precision(bf16 ? Precision::bf16 : Precision::fp32);
      const double loss = s.step_loss(batch);
      if (step == 0) first_loss = loss;
      final_loss[bf16] = loss;
      optimizer.step();
    }
    BOOST_TEST(final_loss[bf16] < 0.8 * first_loss, "bf16=" << bf16);
    s.lora.detach(s.model);
    BOOST_TEST(adaptrec_test::changed_parameters(s.model, s.original).empty());
  }
  BOOST_TEST(std::abs(final_loss[1] - final_loss[0]) < 0.05 * final_loss[0]);
}

BOOST_AUTO_TEST_SUITE_END()
