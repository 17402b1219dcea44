#include <adaptrec/optim/adamw.hpp>
#include <adaptrec/peft/freezing.hpp>
#include <adaptrec/peft/prompt_tuning.hpp>

#include <peft/tiny_bert.hpp>
#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using encoders::Bert;
using peft::PromptTuning;
using peft::PromptTuningOptions;

namespace {

PromptTuningOptions prompt_options(index_t n, std::vector<index_t> init_ids = {}) {
  PromptTuningOptions o;
  o.num_virtual_tokens = n;
  o.init_token_ids = std::move(init_ids);
  return o;
}

// Finite differences of L = <run(), r> for every trainable parameter the
// model visits (an attached prompt included); returns how many were checked.
std::size_t check_trainable_gradients(Bert<double>& model,
                                      const std::function<Tensor<double>()>& run,
                                      const std::function<void(const Tensor<double>&)>& back,
                                      Rng& rng) {
  Tensor<double> y = run();
  Tensor<double> r(y.shape());
  fill_uniform(r, -1.0, 1.0, rng);
  zero_grad(model);
  run();
  back(r);
  std::size_t checked = 0;
  model.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        if (!p.trainable) return;
        const Tensor<double> analytic = p.grad;
        const Tensor<double> numeric = adaptrec_test::numeric_gradient(
            p.value, [&] { return adaptrec_test::inner(run(), r); });
        adaptrec_test::compare(analytic, numeric, name);
        ++checked;
      },
      {""});
  return checked;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peft_prompt_tuning)

BOOST_AUTO_TEST_CASE(prompt_gradients_through_the_frozen_encoder_match_finite_differences) {
  for (auto pooling : {encoders::Pooling::cls, encoders::Pooling::mean}) {
    Rng rng(1);
    Bert<double> model(adaptrec_test::tiny_bert_config(), rng, /*with_pooler=*/false);
    PromptTuning<double> prompt(model, prompt_options(3), rng);
    prompt.attach(model);
    peft::freeze_backbone(model, prompt);
    const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
    const std::size_t checked = check_trainable_gradients(
        model, [&] { return model.encode(batch, pooling); },
        [&](const Tensor<double>& r) { model.encode_backward(r); }, rng);
    BOOST_TEST(checked == 1u);
    BOOST_TEST(prompt.prompt_embeddings().grad.to_vector() !=
               std::vector<double>(3 * 8, 0.0));
  }
}

BOOST_AUTO_TEST_CASE(gradients_with_dropout_and_a_trainable_backbone_match_finite_differences) {
  Rng rng(2);
  Bert<double> model(adaptrec_test::tiny_bert_config(0.1), rng, false, 7);
  PromptTuning<double> prompt(model, prompt_options(2), rng);
  prompt.attach(model);
  // The padding token's word row gets no gradient by design (padding_idx).
  model.embeddings().word_embeddings().trainable = false;
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  const std::size_t checked = check_trainable_gradients(
      model,
      [&] {
        model.reseed_dropout(4);
        return model.forward(batch);
      },
      [&](const Tensor<double>& r) { model.backward(r); }, rng);
  BOOST_TEST(checked == collect_parameters(model).size() - 1);
}

// Embeddings, then the layers on [prompt; tokens] with the prompt always
// attended to, then the prompt rows dropped: the encoder's output, by hand.
BOOST_AUTO_TEST_CASE(output_is_the_layers_run_on_prompt_and_tokens_without_the_prompt_rows) {
  Rng rng(3);
  encoders::BertConfig config = adaptrec_test::tiny_bert_config();
  Bert<double> model(config, rng);
  model.eval();
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  const Tensor<double> plain = model.forward(batch);
  PromptTuning<double> prompt(model, prompt_options(2), rng);
  prompt.attach(model);
  const Tensor<double> adapted = model.forward(batch);
  BOOST_TEST(adapted.shape() == plain.shape());
  BOOST_TEST(adapted.to_vector() != plain.to_vector());

  const Tensor<double> p = prompt.prompt_embeddings().value;
  Tensor<double> h = model.embeddings().forward(batch.input_ids, batch.token_type_ids);
  Tensor<double> joined(Shape{2, 7, 8}), mask(Shape{2, 7});
  for (index_t b = 0; b < 2; ++b)
    for (index_t s = 0; s < 7; ++s) {
      mask(b, s) = s < 2 ? 1.0 : double(batch.attention_mask(b, s - 2));
      for (index_t c = 0; c < 8; ++c) joined(b, s, c) = s < 2 ? p(s, c) : h(b, s - 2, c);
    }
  for (std::size_t l = 0; l < model.num_layers(); ++l)
    joined = model.layer(l).forward(joined, mask);
  for (index_t b = 0; b < 2; ++b)
    for (index_t s = 0; s < 5; ++s)
      for (index_t c = 0; c < 8; ++c) BOOST_TEST(adapted(b, s, c) == joined(b, s + 2, c));
}

BOOST_AUTO_TEST_CASE(detach_restores_the_original_outputs_exactly) {
  Rng rng(4);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  model.eval();
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  const Tensor<float> before = model.encode(batch, encoders::Pooling::pooler);
  const std::size_t own_parameters = collect_parameters(model).size();
  PromptTuning<float> prompt(model, prompt_options(4), rng);
  prompt.attach(model);
  BOOST_TEST(prompt.attached_to(model));
  BOOST_TEST(collect_parameters(model).size() == own_parameters + 1);
  BOOST_TEST(model.encode(batch, encoders::Pooling::pooler).to_vector() != before.to_vector());
  prompt.detach(model);
  BOOST_TEST(!prompt.attached_to(model));
  BOOST_TEST(collect_parameters(model).size() == own_parameters);
  BOOST_TEST(model.encode(batch, encoders::Pooling::pooler).to_vector() == before.to_vector());
}

// Lester et al. sec. 2.1: the prompt may start from token embeddings; here the
// embedding layer's output for the ids, repeated to fill n as PEFT does.
BOOST_AUTO_TEST_CASE(initialising_from_token_ids_uses_the_embedding_layer_output) {
  Rng rng(5);
  Bert<float> model(adaptrec_test::tiny_bert_config(0.1), rng);
  PromptTuning<float> prompt(model, prompt_options(5, {4, 7, 9}), rng);
  BOOST_TEST(model.embeddings().is_training());  // the mode is restored
  model.eval();
  const Tensor<float> expected =
      model.embeddings().forward(Tensor<index_t>(Shape{1, 5}, {4, 7, 9, 4, 7}), Tensor<index_t>{});
  BOOST_TEST(prompt.prompt_embeddings().shape() == (Shape{5, 8}));
  BOOST_TEST(prompt.prompt_embeddings().value.to_vector() == expected.to_vector(),
             boost::test_tools::per_element());

  PromptTuning<float> random(model, prompt_options(6), rng);
  for (float v : random.prompt_embeddings().value) BOOST_TEST((v >= -0.5f && v <= 0.5f));
  BOOST_TEST(random.config_json().at("prompt_tuning_init").as_string() == "RANDOM");
  BOOST_TEST(prompt.config_json().at("prompt_tuning_init").as_string() == "TEXT");
}

BOOST_AUTO_TEST_CASE(training_moves_only_the_prompt) {
  Rng rng(6);
  Bert<float> model(adaptrec_test::tiny_bert_config(0.1), rng, true, 3);
  Bert<float> original = model;
  PromptTuning<float> prompt(model, prompt_options(3), rng);
  const std::vector<float> initial = prompt.prompt_embeddings().value.to_vector();
  prompt.attach(model);
  peft::freeze_backbone(model, prompt);
  optim::AdamW<float> optimizer(collect_parameters(model), {.learning_rate = 0.05f});
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  for (int step = 0; step < 5; ++step) {
    optimizer.zero_grad();
    const Tensor<float> y = model.encode(batch, encoders::Pooling::mean);
    model.encode_backward(Tensor<float>::full(y.shape(), 1.0f));
    optimizer.step();
  }
  prompt.detach(model);
  BOOST_TEST(adaptrec_test::changed_parameters(model, original).empty());
  BOOST_TEST(prompt.prompt_embeddings().value.to_vector() != initial);
}

BOOST_AUTO_TEST_CASE(parameters_carry_peft_names_counts_and_config) {
  Rng rng(7);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  const ParameterCount base = count_parameters(model);
  PromptTuning<float> prompt(model, prompt_options(3), rng);
  prompt.attach(model);
  peft::freeze_backbone(model, prompt);
  const auto params = collect_parameters(model, "bert");
  BOOST_TEST(params.back().name == "bert.prompt_embeddings");
  const ParameterCount adapted = count_parameters(model);
  BOOST_TEST(adapted.total == base.total + 3 * 8);
  BOOST_TEST(adapted.trainable == 3u * 8);
  const io::Json config = prompt.config_json();
  BOOST_TEST(config.at("peft_type").as_string() == "PROMPT_TUNING");
  BOOST_TEST(config.at("num_virtual_tokens").as_int() == 3);
  BOOST_TEST(config.at("token_dim").as_int() == 8);
  BOOST_TEST(config.at("num_layers").as_int() == 2);
}

BOOST_AUTO_TEST_CASE(bad_options_and_mismatched_models_are_reported) {
  Rng rng(8);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  require_throw_naming<invalid_argument>(
      [&] { PromptTuning<float>(model, prompt_options(0), rng); }, {"num_virtual_tokens=0"});
  require_throw_naming<index_error>(
      [&] { PromptTuning<float>(model, prompt_options(2, {3, 99}), rng); },
      {"init_token_ids[1] = 99", "vocab_size"});
  require_throw_naming<invalid_argument>(
      [&] { PromptTuning<float>(model, prompt_options(13, {3}), rng); },
      {"num_virtual_tokens=13", "max_position_embeddings = 12"});

  encoders::BertConfig wider = adaptrec_test::tiny_bert_config();
  wider.hidden_size = 12;
  Bert<float> other(wider, rng);
  PromptTuning<float> prompt(model, prompt_options(2), rng);
  require_throw_naming<shape_error>([&] { prompt.attach(other); }, {"[2, 8]", "hidden size 12"});

  PromptTuning<float> second(model, prompt_options(2), rng);
  prompt.attach(model);
  require_throw_naming<invalid_argument>([&] { second.attach(model); }, {"already attached"});
  BOOST_TEST(prompt.attached_to(model));

  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  const Tensor<float> y = model.forward(batch);
  prompt.detach(model);
  require_throw_naming<error>([&] { model.backward(y); }, {"prompt was detached"});
}

BOOST_AUTO_TEST_SUITE_END()
