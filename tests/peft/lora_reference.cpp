// LoRA against Hugging Face PEFT: the base checkpoint random_bert_small plus
// the adapter folder PEFT's save_pretrained wrote
// (tests/reference/make_peft_vectors.py) must give PEFT's float64 outputs and
// LoRA gradients.
#include <adaptrec/encoders/bert_pretrained.hpp>
#include <adaptrec/peft/adapter_checkpoint.hpp>
#include <adaptrec/peft/freezing.hpp>
#include <adaptrec/peft/lora.hpp>

#include <support/models.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <iostream>

using namespace adaptrec;

namespace {

std::filesystem::path vectors(const std::string& name) {
  return adaptrec_test::reference_dir() / name;
}

double max_relative_error(const Tensor<double>& got, const Tensor<double>& want) {
  BOOST_REQUIRE(got.shape() == want.shape());
  double error = 0, scale = 1;
  for (index_t i = 0; i < want.size(); ++i) {
    error = std::max(error, std::abs(got[i] - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  return error / scale;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peft_lora_reference)

BOOST_AUTO_TEST_CASE(outputs_and_gradients_match_hugging_face_peft) {
  const auto adapter_dir = vectors("random_bert_small_lora");
  const auto expected = io::SafetensorsFile::open(adapter_dir / "expected.safetensors");
  const auto inputs = io::SafetensorsFile::open(vectors("random_bert_small") / "expected.safetensors");
  text::TokenBatch batch;
  batch.input_ids = inputs.tensor<index_t>("input_ids");
  batch.token_type_ids = inputs.tensor<index_t>("token_type_ids");
  batch.attention_mask = inputs.tensor<index_t>("attention_mask");

  auto model = encoders::load_bert<double>(vectors("random_bert_small"));
  model.eval();
  Rng rng(1);
  const peft::LoraOptions options =
      peft::lora_options_from_json(peft::read_adapter_config(adapter_dir));
  BOOST_TEST(options.rank == 4);
  BOOST_TEST(options.targets.size() == 5u);
  BOOST_TEST(options.layers.size() == 2u);
  peft::Lora<double> lora(model, options, rng);
  peft::load_adapter(lora, adapter_dir);
  lora.attach(model);
  peft::freeze_backbone(model, lora);

  const Tensor<double> hidden = model.forward(batch);
  const double error = max_relative_error(hidden, expected.tensor<double>("last_hidden_state"));
  std::cout << "LoRA vs PEFT float64 last_hidden_state: max relative error " << error << '\n';
  BOOST_TEST(error < 1e-12);

  zero_grad(model);
  model.backward(expected.tensor<double>("R"));
  std::size_t checked = 0;
  lora.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        const double e = max_relative_error(p.grad, expected.tensor<double>("grad." + name));
        BOOST_TEST(e < 1e-12, name << ": " << e);
        ++checked;
      },
      "");
  BOOST_TEST(checked == 20u);

  // Merged into the weights, the model still gives PEFT's outputs.
  lora.merge(model);
  BOOST_TEST(max_relative_error(model.forward(batch), expected.tensor<double>("last_hidden_state")) <
             1e-12);
}

BOOST_AUTO_TEST_SUITE_END()
