#include <adaptrec/encoders/bert.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>
#include <support/random_tensor.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using encoders::Bert;
using encoders::BertConfig;
using encoders::Pooling;

namespace {

// hidden 8, 2 layers, 2 heads, as small as a meaningful check gets.
BertConfig tiny_config(bool pre_layer_norm = false, double dropout = 0.0) {
  BertConfig c;
  c.vocab_size = 13;
  c.hidden_size = 8;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.intermediate_size = 12;
  c.max_position_embeddings = 8;
  c.type_vocab_size = 2;
  c.layer_norm_eps = 1e-6;
  c.hidden_dropout_prob = dropout;
  c.attention_probs_dropout_prob = dropout;
  c.initializer_range = 0.4;  // larger than BERT's 0.02, so no term is negligible
  c.pre_layer_norm = pre_layer_norm;
  return c;
}

// Two sentence pairs; the second is padded (id 0) at its last two positions.
text::TokenBatch padded_batch() {
  text::TokenBatch batch;
  batch.input_ids = Tensor<index_t>(Shape{2, 5}, {2, 5, 3, 9, 3, 2, 7, 3, 0, 0});
  batch.token_type_ids = Tensor<index_t>(Shape{2, 5}, {0, 0, 0, 1, 1, 0, 0, 0, 0, 0});
  batch.attention_mask = Tensor<index_t>(Shape{2, 5}, {1, 1, 1, 1, 1, 1, 1, 1, 0, 0});
  return batch;
}

void randomize_layer_norms(Bert<double>& model, Rng& rng) {
  model.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        if (name.ends_with("LayerNorm.weight") || name.ends_with("final_layer_norm.weight"))
          fill_uniform(p.value, 0.5, 1.5, rng);
        else if (name.ends_with("bias"))
          fill_uniform(p.value, -0.3, 0.3, rng);
      },
      "");
}

// Finite differences of L = <output(), r> against the analytic gradients of
// every parameter. The padding token's word row gets no gradient (as
// nn.Embedding's padding_idx), so that row is expected to be zero instead.
void check_all_parameter_gradients(Bert<double>& model,
                                   const std::function<Tensor<double>()>& output,
                                   const std::function<void(const Tensor<double>&)>& backward,
                                   Rng& rng) {
  const Tensor<double> r = adaptrec_test::random_tensor<double>(output().shape(), rng);
  const auto loss = [&] { return adaptrec_test::inner(output(), r); };
  zero_grad(model);
  output();
  backward(r);
  const index_t pad = model.config().pad_token_id.value();
  const index_t hidden = model.hidden_size();
  model.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        const Tensor<double> analytic = p.grad;
        Tensor<double> numeric = adaptrec_test::numeric_gradient(p.value, loss);
        if (name == "embeddings.word_embeddings.weight")
          for (index_t c = 0; c < hidden; ++c) {
            BOOST_TEST(analytic(pad, c) == 0.0);
            numeric(pad, c) = 0.0;
          }
        adaptrec_test::compare(analytic, numeric, name);
      },
      "");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_bert)

static_assert(Module<Bert<float>>);
static_assert(Module<Bert<double>>);

BOOST_AUTO_TEST_CASE(parameter_names_are_hugging_face_bert_model_ones) {
  Rng rng(1);
  Bert<float> model(tiny_config(), rng);
  std::vector<std::string> names;
  model.visit_parameters([&](const std::string& n, Parameter<float>&) { names.push_back(n); }, "");
  std::vector<std::string> expected = {"embeddings.word_embeddings.weight",
                                       "embeddings.position_embeddings.weight",
                                       "embeddings.token_type_embeddings.weight",
                                       "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"};
  for (const char* layer : {"encoder.layer.0.", "encoder.layer.1."})
    for (const char* name :
         {"attention.self.query.weight", "attention.self.query.bias", "attention.self.key.weight",
          "attention.self.key.bias", "attention.self.value.weight", "attention.self.value.bias",
          "attention.output.dense.weight", "attention.output.dense.bias",
          "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
          "intermediate.dense.weight", "intermediate.dense.bias", "output.dense.weight",
          "output.dense.bias", "output.LayerNorm.weight", "output.LayerNorm.bias"})
      expected.push_back(std::string(layer) + name);
  expected.push_back("pooler.dense.weight");
  expected.push_back("pooler.dense.bias");
  std::sort(names.begin(), names.end());
  std::sort(expected.begin(), expected.end());
  BOOST_TEST(names == expected, boost::test_tools::per_element());

  Bert<float> pre_ln(tiny_config(true), rng, /*with_pooler=*/false);
  const auto pre_ln_names = collect_parameters(pre_ln);
  BOOST_TEST(pre_ln_names.size() == expected.size());  // -2 pooler, +2 final layer norm
  BOOST_TEST(pre_ln_names[pre_ln_names.size() - 2].name == "encoder.final_layer_norm.weight");
  BOOST_TEST(pre_ln_names.back().name == "encoder.final_layer_norm.bias");
}

BOOST_AUTO_TEST_CASE(initialisation_follows_bert) {
  Rng rng(2);
  BertConfig c = tiny_config();
  c.hidden_size = 64;
  c.intermediate_size = 256;
  c.initializer_range = 0.02;
  Bert<double> model(c, rng);
  model.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        if (name.ends_with("LayerNorm.weight")) {
          for (double v : p.value) BOOST_TEST(v == 1.0, name);
        } else if (name.ends_with("bias")) {
          for (double v : p.value) BOOST_TEST(v == 0.0, name);
        } else {
          double sum_sq = 0;
          for (double v : p.value) sum_sq += v * v;
          const double stddev = std::sqrt(sum_sq / static_cast<double>(p.size()));
          BOOST_TEST(std::abs(stddev - 0.02) < 0.004, name << ": stddev " << stddev);
        }
      },
      "");
}

BOOST_AUTO_TEST_CASE(padding_does_not_change_real_positions) {
  Rng rng(3);
  Bert<double> model(tiny_config(), rng);
  model.eval();
  text::TokenBatch batch = padded_batch();
  const Tensor<double> a = model.forward(batch);
  batch.input_ids(1, 3) = 11;
  batch.input_ids(1, 4) = 4;
  batch.token_type_ids(1, 4) = 1;
  const Tensor<double> b = model.forward(batch);
  for (index_t s = 0; s < 3; ++s)
    for (index_t c = 0; c < 8; ++c) BOOST_TEST(a(1, s, c) == b(1, s, c));
  // A shorter, unpadded batch gives the same states too.
  text::TokenBatch alone;
  alone.input_ids = Tensor<index_t>(Shape{1, 3}, {2, 7, 3});
  alone.token_type_ids = Tensor<index_t>(Shape{1, 3});
  alone.attention_mask = Tensor<index_t>::full(Shape{1, 3}, 1);
  const Tensor<double> c = model.forward(alone);
  for (index_t s = 0; s < 3; ++s)
    for (index_t k = 0; k < 8; ++k)
      // Padded rows sum their softmax over more (zero) terms in packets, so the
      // order of additions differs from the unpadded run: near 1e-13 in double.
      BOOST_TEST(a(1, s, k) == c(0, s, k), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(gradients_of_every_parameter_match_finite_differences) {
  Rng rng(4);
  Bert<double> model(tiny_config(), rng);
  randomize_layer_norms(model, rng);
  const text::TokenBatch batch = padded_batch();
  check_all_parameter_gradients(
      model, [&] { return model.forward(batch); },
      [&](const Tensor<double>& d) { model.backward(d); }, rng);
}

BOOST_AUTO_TEST_CASE(pre_layer_norm_gradients_match_finite_differences) {
  Rng rng(5);
  Bert<double> model(tiny_config(true), rng, /*with_pooler=*/false);
  randomize_layer_norms(model, rng);
  const text::TokenBatch batch = padded_batch();
  check_all_parameter_gradients(
      model, [&] { return model.forward(batch); },
      [&](const Tensor<double>& d) { model.backward(d); }, rng);
}

BOOST_AUTO_TEST_CASE(gradients_with_dropout_match_finite_differences) {
  Rng rng(6);
  Bert<double> model(tiny_config(false, 0.2), rng, false, 7);
  const text::TokenBatch batch = padded_batch();
  check_all_parameter_gradients(
      model,
      [&] {
        model.reseed_dropout(11);
        return model.forward(batch);
      },
      [&](const Tensor<double>& d) { model.backward(d); }, rng);
}

BOOST_AUTO_TEST_CASE(pooled_gradients_match_finite_differences) {
  const text::TokenBatch batch = padded_batch();
  for (Pooling pooling : {Pooling::cls, Pooling::mean, Pooling::pooler}) {
    BOOST_TEST_CONTEXT("pooling " << encoders::to_string(pooling)) {
      Rng rng(7);
      Bert<double> model(tiny_config(), rng);
      randomize_layer_norms(model, rng);
      check_all_parameter_gradients(
          model, [&] { return model.encode(batch, pooling); },
          [&](const Tensor<double>& d) { model.encode_backward(d); }, rng);
    }
  }
}

BOOST_AUTO_TEST_CASE(returned_gradient_is_that_of_the_input_embeddings) {
  Rng rng(8);
  Bert<double> model(tiny_config(), rng);
  const text::TokenBatch batch = padded_batch();
  const Tensor<double> y = model.forward(batch);
  const Tensor<double> d_inputs =
      model.backward(adaptrec_test::random_tensor<double>(y.shape(), rng));
  BOOST_REQUIRE(d_inputs.shape() == y.shape());
  // Token 3 appears at (0, 2), (0, 4) and (1, 2).
  const auto& word = model.embeddings().word_embeddings().grad;
  for (index_t c = 0; c < 8; ++c)
    BOOST_TEST(word(3, c) == d_inputs(0, 2, c) + d_inputs(0, 4, c) + d_inputs(1, 2, c),
               boost::test_tools::tolerance(1e-13));
}

BOOST_AUTO_TEST_CASE(frozen_bottom_layers_are_skipped_and_keep_zero_gradients) {
  Rng rng(9);
  Bert<double> full(tiny_config(), rng);
  Rng same(9);
  Bert<double> partly_frozen(tiny_config(), same);
  partly_frozen.freeze_bottom_layers(1);
  const text::TokenBatch batch = padded_batch();
  const Tensor<double> y = full.forward(batch);
  const Tensor<double> dy = adaptrec_test::random_tensor<double>(y.shape(), rng);
  full.backward(dy);
  partly_frozen.forward(batch);
  BOOST_TEST(partly_frozen.backward(dy).empty());

  const auto full_parameters = collect_parameters(full);
  const auto frozen_parameters = collect_parameters(partly_frozen);
  for (std::size_t i = 0; i < full_parameters.size(); ++i) {
    const std::string& name = full_parameters[i].name;
    const bool frozen = name.starts_with("embeddings.") || name.starts_with("encoder.layer.0.");
    BOOST_TEST(frozen_parameters[i].parameter->trainable == !frozen, name);
    const auto& got = frozen_parameters[i].parameter->grad;
    const auto& want = full_parameters[i].parameter->grad;
    for (index_t k = 0; k < got.size(); ++k)
      BOOST_TEST(got[k] == (frozen ? 0.0 : want[k]), name << "[" << k << "]");
  }
  require_throw_naming<invalid_argument>([&] { partly_frozen.freeze_bottom_layers(3); },
                                         {"freeze_bottom_layers", "3"});
}

BOOST_AUTO_TEST_CASE(frozen_embeddings_spare_the_first_layers_input_gradient) {
  // As with LoRA on a frozen encoder: layer 0 trains, nothing below it does,
  // so its input gradient is skipped; its parameters' gradients must not move.
  for (bool pre_layer_norm : {false, true}) {
    BOOST_TEST_CONTEXT("pre_layer_norm " << pre_layer_norm) {
      Rng rng(11);
      Bert<double> full(tiny_config(pre_layer_norm), rng);
      Rng same(11);
      Bert<double> frozen_inputs(tiny_config(pre_layer_norm), same);
      set_trainable(frozen_inputs.embeddings(), false);
      const text::TokenBatch batch = padded_batch();
      const Tensor<double> y = full.forward(batch);
      const Tensor<double> dy = adaptrec_test::random_tensor<double>(y.shape(), rng);
      full.backward(dy);
      frozen_inputs.forward(batch);
      BOOST_TEST(frozen_inputs.backward(dy).empty());
      const auto want = collect_parameters(full);
      const auto got = collect_parameters(frozen_inputs);
      for (std::size_t i = 0; i < want.size(); ++i) {
        if (want[i].name.starts_with("embeddings.")) continue;
        const auto& g = got[i].parameter->grad;
        for (index_t k = 0; k < g.size(); ++k)
          BOOST_TEST(g[k] == want[i].parameter->grad[k], want[i].name << "[" << k << "]");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(eval_propagates_and_is_deterministic) {
  Rng rng(10);
  Bert<double> model(tiny_config(false, 0.3), rng, true, 5);
  const text::TokenBatch batch = padded_batch();
  model.eval();
  BOOST_TEST(!model.is_training());
  const Tensor<double> a = model.encode(batch, Pooling::mean);
  BOOST_TEST(a.to_vector() == model.encode(batch, Pooling::mean).to_vector());
  model.train();
  BOOST_TEST(a.to_vector() != model.encode(batch, Pooling::mean).to_vector());
}

BOOST_AUTO_TEST_CASE(bad_use_is_named) {
  Rng rng(11);
  Bert<float> model(tiny_config(), rng, /*with_pooler=*/false);
  BOOST_TEST(!model.has_pooler());
  require_throw_naming<invalid_argument>([&] { model.encode(padded_batch(), Pooling::pooler); },
                                         {"no pooler"});
  require_throw_naming<index_error>([&] { model.layer(2); }, {"layer 2", "has 2"});
  text::TokenBatch batch = padded_batch();
  batch.attention_mask = Tensor<index_t>(Shape{2, 4});
  require_throw_naming<shape_error>([&] { model.forward(batch); }, {"Bert::forward", "[2, 4]"});
  batch = padded_batch();
  batch.input_ids(0, 1) = 13;
  require_throw_naming<index_error>([&] { model.forward(batch); }, {"input_ids[0, 1]", "13"});
  const Tensor<float> y = model.forward(padded_batch());
  require_throw_naming<shape_error>(
      [&] {
        model.backward(Tensor<float>(Shape{2, 5, 7}));
      },
      {"Bert::backward", "[2, 5, 7]"});
}

BOOST_AUTO_TEST_SUITE_END()
