#include <adaptrec/optim/adamw.hpp>
#include <adaptrec/peft/freezing.hpp>
#include <adaptrec/peft/prefix_tuning.hpp>

#include <peft/tiny_bert.hpp>
#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using encoders::Bert;
using peft::PrefixTuning;
using peft::PrefixTuningOptions;

namespace {

PrefixTuningOptions prefix_options(index_t n, bool reparameterize, index_t prefix_hidden = 5) {
  PrefixTuningOptions o;
  o.num_virtual_tokens = n;
  o.reparameterize = reparameterize;
  o.prefix_hidden = prefix_hidden;
  return o;
}

// Fixed rows for one attention layer, with the gradients they received.
struct FixedPrefix final : layers::AttentionPrefix<double>, layers::SharedParameters<double> {
  Tensor<double> key, value, d_key, d_value;
  layers::PrefixRows<double> forward() override { return {key, value}; }
  void backward(const Tensor<double>& dk, const Tensor<double>& dv) override {
    d_key = dk;
    d_value = dv;
  }
  bool trainable() const override { return true; }
  layers::SharedParameters<double>& parameters() override { return *this; }
  void visit_parameters(const layers::ParameterVisitor<double>&, const std::string&) override {}
};

// Finite differences of L = <run(), r> for every trainable parameter the
// model visits (an attached method's included); returns how many were checked.
std::size_t check_trainable_gradients(Bert<double>& model,
                                      const std::function<Tensor<double>()>& run, Rng& rng) {
  Tensor<double> y = run();
  Tensor<double> r(y.shape());
  fill_uniform(r, -1.0, 1.0, rng);
  zero_grad(model);
  run();
  model.backward(r);
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

template <class M>
std::vector<std::string> names_of(M& module) {
  std::vector<std::string> names;
  module.visit_parameters([&](const std::string& n, auto&) { names.push_back(n); },
                          std::string{});
  return names;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peft_prefix_tuning)

// softmax over [prefix keys; token keys] of q k / sqrt(d), masked, times
// [prefix values; token values], then the output projection, all by hand.
BOOST_AUTO_TEST_CASE(attention_with_a_prefix_matches_a_plain_reference) {
  Rng rng(1);
  const index_t hidden = 4, heads = 2, d = 2, batch = 2, seq = 3, n = 2;
  layers::MultiHeadSelfAttention<double> attention(hidden, heads, rng);
  FixedPrefix prefix;
  prefix.key = Tensor<double>(Shape{n, hidden});
  prefix.value = Tensor<double>(Shape{n, hidden});
  fill_uniform(prefix.key, -1.0, 1.0, rng);
  fill_uniform(prefix.value, -1.0, 1.0, rng);
  attention.attach_prefix(&prefix);
  Tensor<double> x(Shape{batch, seq, hidden});
  fill_uniform(x, -1.0, 1.0, rng);
  const Tensor<double> mask(Shape{batch, seq}, {1, 1, 1, 1, 1, 0});
  const Tensor<double> y = attention.forward(x, mask);

  auto project = [&](layers::Linear<double>& l, index_t b, index_t s, index_t o) {
    double v = l.bias().value[o];
    for (index_t i = 0; i < hidden; ++i) v += l.weight().value(o, i) * x(b, s, i);
    return v;
  };
  for (index_t b = 0; b < batch; ++b)
    for (index_t s = 0; s < seq; ++s) {
      std::vector<double> context(static_cast<std::size_t>(hidden), 0.0);
      for (index_t h = 0; h < heads; ++h) {
        std::vector<double> logits, values;
        for (index_t j = 0; j < n + seq; ++j) {
          if (j >= n && mask(b, j - n) == 0) continue;
          double dot = 0;
          for (index_t e = 0; e < d; ++e) {
            const index_t o = h * d + e;
            const double k = j < n ? prefix.key(j, o) : project(attention.key(), b, j - n, o);
            dot += project(attention.query(), b, s, o) * k;
          }
          logits.push_back(dot / std::sqrt(double(d)));
          for (index_t e = 0; e < d; ++e) {
            const index_t o = h * d + e;
            values.push_back(j < n ? prefix.value(j, o) : project(attention.value(), b, j - n, o));
          }
        }
        double top = logits[0], total = 0;
        for (double l : logits) top = std::max(top, l);
        for (double& l : logits) total += (l = std::exp(l - top));
        for (std::size_t j = 0; j < logits.size(); ++j)
          for (index_t e = 0; e < d; ++e)
            context[static_cast<std::size_t>(h * d + e)] +=
                logits[j] / total * values[j * static_cast<std::size_t>(d) + e];
      }
      for (index_t o = 0; o < hidden; ++o) {
        double expected = attention.output().bias().value[o];
        for (index_t i = 0; i < hidden; ++i)
          expected +=
              attention.output().weight().value(o, i) * context[static_cast<std::size_t>(i)];
        BOOST_TEST(y(b, s, o) == expected, boost::test_tools::tolerance(1e-12));
      }
    }
}

BOOST_AUTO_TEST_CASE(attention_gradients_with_a_prefix_match_finite_differences) {
  Rng rng(2);
  layers::MultiHeadSelfAttention<double> attention(6, 3, rng, 0.2, 7);
  FixedPrefix prefix;
  prefix.key = Tensor<double>(Shape{3, 6});
  prefix.value = Tensor<double>(Shape{3, 6});
  fill_uniform(prefix.key, -1.0, 1.0, rng);
  fill_uniform(prefix.value, -1.0, 1.0, rng);
  attention.attach_prefix(&prefix);
  Tensor<double> x(Shape{2, 4, 6});
  fill_uniform(x, -1.0, 1.0, rng);
  const Tensor<double> mask(Shape{2, 4}, {1, 1, 1, 1, 1, 1, 0, 0});
  auto run = [&] {
    attention.reseed_dropout(3);
    return attention.forward(x, mask);
  };
  Tensor<double> r(run().shape());
  fill_uniform(r, -1.0, 1.0, rng);
  auto loss = [&] { return adaptrec_test::inner(run(), r); };
  zero_grad(attention);
  run();
  const Tensor<double> dx = attention.backward(r);
  const Tensor<double> d_key = prefix.d_key, d_value = prefix.d_value;
  adaptrec_test::compare(dx, adaptrec_test::numeric_gradient(x, loss), "input");
  adaptrec_test::compare(d_key, adaptrec_test::numeric_gradient(prefix.key, loss), "prefix key");
  adaptrec_test::compare(d_value, adaptrec_test::numeric_gradient(prefix.value, loss),
                         "prefix value");
  attention.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        const Tensor<double> analytic = p.grad;
        adaptrec_test::compare(analytic, adaptrec_test::numeric_gradient(p.value, loss), name);
      },
      "attention");
}

BOOST_AUTO_TEST_CASE(prefix_gradients_through_the_whole_encoder_match_finite_differences) {
  for (bool reparameterize : {false, true}) {
    Rng rng(3);
    Bert<double> model(adaptrec_test::tiny_bert_config(), rng, /*with_pooler=*/false);
    PrefixTuning<double> prefix(model, prefix_options(3, reparameterize), rng);
    prefix.attach(model);
    peft::freeze_backbone(model, prefix);
    const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
    const std::size_t checked =
        check_trainable_gradients(model, [&] { return model.forward(batch); }, rng);
    BOOST_TEST(checked == (reparameterize ? 5u : 1u));
  }
}

BOOST_AUTO_TEST_CASE(gradients_with_dropout_and_a_trainable_backbone_match_finite_differences) {
  for (bool reparameterize : {false, true}) {
    Rng rng(4);
    Bert<double> model(adaptrec_test::tiny_bert_config(0.1), rng, false, 11);
    PrefixTuning<double> prefix(model, prefix_options(2, reparameterize), rng);
    prefix.attach(model);
    // The padding token's word row gets no gradient by design (padding_idx).
    model.embeddings().word_embeddings().trainable = false;
    const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
    const std::size_t checked = check_trainable_gradients(
        model,
        [&] {
          model.reseed_dropout(5);
          return model.forward(batch);
        },
        rng);
    BOOST_TEST(checked == collect_parameters(model).size() - 1);
  }
}

BOOST_AUTO_TEST_CASE(rows_follow_peft_layout_key_then_value_per_layer) {
  Rng rng(5);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  PrefixTuning<float> prefix(model, prefix_options(3, false), rng);
  prefix.attach(model);
  const Tensor<float> table = prefix.prefix_table();
  BOOST_TEST(table.shape() == (Shape{3, 2 * 2 * 8}));
  for (std::size_t layer = 0; layer < 2; ++layer) {
    const layers::PrefixRows<float> rows = model.layer(layer).attention().prefix()->forward();
    for (index_t i = 0; i < 3; ++i)
      for (index_t c = 0; c < 8; ++c) {
        const index_t key_column = static_cast<index_t>(2 * layer) * 8 + c;
        BOOST_TEST(rows.key(i, c) == table(i, key_column));
        BOOST_TEST(rows.value(i, c) == table(i, key_column + 8));
      }
  }
}

BOOST_AUTO_TEST_CASE(a_prefix_changes_the_output_and_detach_restores_it_exactly) {
  Rng rng(6);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  model.eval();
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  const Tensor<float> before = model.forward(batch);
  const std::size_t own_parameters = collect_parameters(model).size();
  PrefixTuning<float> prefix(model, prefix_options(4, true, 6), rng);
  prefix.attach(model);
  BOOST_TEST(prefix.attached_to(model));
  BOOST_TEST(collect_parameters(model).size() == own_parameters + 5);
  const Tensor<float> adapted = model.forward(batch);
  BOOST_TEST(adapted.shape() == before.shape());
  BOOST_TEST(adapted.to_vector() != before.to_vector());
  prefix.detach(model);
  BOOST_TEST(!prefix.attached_to(model));
  BOOST_TEST(model.forward(batch).to_vector() == before.to_vector());
  BOOST_TEST(collect_parameters(model).size() == own_parameters);
}

BOOST_AUTO_TEST_CASE(folding_the_mlp_keeps_the_outputs_and_leaves_the_peft_tensor) {
  Rng rng(7);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  model.eval();
  const ParameterCount base = count_parameters(model);
  PrefixTuning<float> prefix(model, prefix_options(3, true, 6), rng);
  prefix.attach(model);
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  const Tensor<float> unfolded = model.forward(batch);
  const Tensor<float> table = prefix.prefix_table();
  BOOST_TEST(names_of(prefix) ==
                 (std::vector<std::string>{"prompt_encoder.embedding.weight",
                                           "prompt_encoder.transform.0.weight",
                                           "prompt_encoder.transform.0.bias",
                                           "prompt_encoder.transform.2.weight",
                                           "prompt_encoder.transform.2.bias"}),
             boost::test_tools::per_element());
  BOOST_TEST(!prefix.config_json().at("inference_mode").as_bool());
  prefix.fold();
  BOOST_TEST(!prefix.reparameterized());
  BOOST_TEST(names_of(prefix) == std::vector<std::string>{"prompt_embeddings"},
             boost::test_tools::per_element());
  BOOST_TEST(prefix.prefix_table().to_vector() == table.to_vector());
  BOOST_TEST(model.forward(batch).to_vector() == unfolded.to_vector());
  BOOST_TEST(count_parameters(model).total == base.total + 3 * 32);
  BOOST_TEST(prefix.config_json().at("inference_mode").as_bool());
  prefix.fold();  // nothing left to fold
  BOOST_TEST(model.forward(batch).to_vector() == unfolded.to_vector());
}

BOOST_AUTO_TEST_CASE(training_moves_only_the_prefix) {
  for (bool reparameterize : {false, true}) {
    Rng rng(8);
    Bert<float> model(adaptrec_test::tiny_bert_config(0.1), rng, true, 3);
    Bert<float> original = model;
    PrefixTuning<float> prefix(model, prefix_options(3, reparameterize, 6), rng);
    prefix.attach(model);
    peft::freeze_backbone(model, prefix);
    std::vector<std::vector<float>> initial;
    prefix.visit_parameters(
        [&](const std::string&, Parameter<float>& p) { initial.push_back(p.value.to_vector()); },
        {""});
    optim::AdamW<float> optimizer(collect_parameters(model), {.learning_rate = 0.05f});
    const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
    for (int step = 0; step < 5; ++step) {
      optimizer.zero_grad();
      const Tensor<float> y = model.encode(batch, encoders::Pooling::mean);
      model.encode_backward(Tensor<float>::full(y.shape(), 1.0f));
      optimizer.step();
    }
    prefix.detach(model);
    BOOST_TEST(adaptrec_test::changed_parameters(model, original).empty());
    std::size_t i = 0;
    prefix.visit_parameters(
        [&](const std::string& name, Parameter<float>& p) {
          BOOST_TEST(p.value.to_vector() != initial[i++], name << " did not move");
        },
        {""});
  }
}

BOOST_AUTO_TEST_CASE(parameters_carry_peft_names_counts_and_config) {
  Rng rng(9);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  const ParameterCount base = count_parameters(model);
  PrefixTuning<float> prefix(model, prefix_options(3, false), rng);
  BOOST_TEST(names_of(prefix) == std::vector<std::string>{"prompt_embeddings"},
             boost::test_tools::per_element());
  prefix.attach(model);
  peft::freeze_backbone(model, prefix);
  const auto params = collect_parameters(model, "bert");
  BOOST_TEST(params.back().name == "bert.prompt_embeddings");
  BOOST_TEST(params.back().parameter->shape() == (Shape{3, 32}));
  const ParameterCount adapted = count_parameters(model);
  BOOST_TEST(adapted.total == base.total + 3 * 32);  // shared by both layers, visited once
  BOOST_TEST(adapted.trainable == 3u * 32);

  const io::Json config = prefix.config_json();
  BOOST_TEST(config.at("peft_type").as_string() == "PREFIX_TUNING");
  BOOST_TEST(config.at("num_virtual_tokens").as_int() == 3);
  BOOST_TEST(config.at("token_dim").as_int() == 8);
  BOOST_TEST(config.at("num_layers").as_int() == 2);
  BOOST_TEST(config.at("num_attention_heads").as_int() == 2);
  BOOST_TEST(!config.at("prefix_projection").as_bool());

  PrefixTuning<float> projected(model, prefix_options(3, true, 5), rng);
  std::vector<Shape> shapes;
  projected.visit_parameters([&](const std::string&, Parameter<float>& p) {
    shapes.push_back(p.shape());
  }, {""});
  const std::vector<Shape> expected{Shape{3, 8}, Shape{5, 8}, Shape{5}, Shape{32, 5}, Shape{32}};
  BOOST_TEST(shapes == expected, boost::test_tools::per_element());
  BOOST_TEST(projected.config_json().at("encoder_hidden_size").as_int() == 5);
}

BOOST_AUTO_TEST_CASE(bad_options_and_mismatched_models_are_reported) {
  Rng rng(10);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  require_throw_naming<invalid_argument>(
      [&] { PrefixTuning<float>(model, prefix_options(0, false), rng); },
      {"num_virtual_tokens=0"});
  require_throw_naming<invalid_argument>(
      [&] { PrefixTuning<float>(model, prefix_options(2, true, 0), rng); }, {"prefix_hidden=0"});

  PrefixTuning<float> prefix(model, prefix_options(2, false), rng);
  encoders::BertConfig deeper = adaptrec_test::tiny_bert_config();
  deeper.num_hidden_layers = 3;
  Bert<float> other(deeper, rng);
  require_throw_naming<shape_error>([&] { prefix.attach(other); }, {"2 layers", "3 layers"});
  BOOST_TEST(!prefix.attached_to(other));

  PrefixTuning<float> second(model, prefix_options(2, false), rng);
  prefix.attach(model);
  require_throw_naming<invalid_argument>([&] { second.attach(model); },
                                         {"encoder.layer.0.attention", "already has a prefix"});
  BOOST_TEST(prefix.attached_to(model));

  // The gradient of a prefix that has not run forward.
  require_throw_naming<error>(
      [&] {
        const Tensor<float> d(Shape{2, 8});
        model.layer(1).attention().prefix()->backward(d, d);
      },
      {"encoder.layer.1", "no forward"});

  // A prefix of the wrong width is caught by the layer, naming both shapes.
  Rng rng_d(11);
  layers::MultiHeadSelfAttention<double> attention(4, 2, rng_d);
  FixedPrefix wrong;
  wrong.key = Tensor<double>(Shape{2, 6});
  wrong.value = Tensor<double>(Shape{2, 6});
  attention.attach_prefix(&wrong);
  require_throw_naming<shape_error>(
      [&] { attention.forward(Tensor<double>(Shape{1, 3, 4}), Tensor<double>{}); },
      {"[2, 6]", "hidden=4"});
  FixedPrefix another;
  require_throw_naming<invalid_argument>([&] { attention.attach_prefix(&another); },
                                         {"attach_prefix", "already attached"});
}

BOOST_AUTO_TEST_SUITE_END()
