#include <adaptrec/optim/adamw.hpp>
#include <adaptrec/peft/freezing.hpp>
#include <adaptrec/peft/lora.hpp>

#include <peft/tiny_bert.hpp>
#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using encoders::Bert;
using peft::LinearTarget;
using peft::Lora;
using peft::LoraLinear;
using peft::LoraOptions;

namespace {

LoraOptions every_target(index_t rank = 3, double dropout = 0.0) {
  LoraOptions o;
  o.rank = rank;
  o.alpha = 5;
  o.dropout = dropout;
  o.targets = {LinearTarget::query, LinearTarget::key, LinearTarget::value,
               LinearTarget::attention_output, LinearTarget::intermediate, LinearTarget::output};
  return o;
}

// B starts at zero (so training starts from the pretrained model); a check of
// A's gradient needs it nonzero.
template <class T>
void randomize_lora_b(Lora<T>& lora, Rng& rng) {
  lora.visit_parameters(
      [&](const std::string& name, Parameter<T>& p) {
        if (name.ends_with("lora_B.weight")) fill_uniform(p.value, T(-0.5), T(0.5), rng);
      },
      {""});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peft_lora)

BOOST_AUTO_TEST_CASE(hook_gradients_on_a_frozen_linear_match_finite_differences) {
  for (double dropout : {0.0, 0.3}) {
    Rng rng(1);
    layers::Linear<double> linear(6, 5, rng);
    set_trainable(linear, false);
    LoraLinear<double> hook(6, 5, 2, 4.0, dropout, rng, 9);
    fill_uniform(hook.lora_b().value, -0.5, 0.5, rng);
    linear.attach_hook(&hook);
    Tensor<double> x(Shape{3, 2, 6});
    fill_uniform(x, -1.0, 1.0, rng);
    adaptrec_test::check_module_gradients(linear, x, rng, adaptrec_test::fd_tolerance,
                                          [&] { hook.reseed_dropout(4); });
    BOOST_TEST(linear.weight().grad.to_vector() == std::vector<double>(30, 0.0));
  }
}

BOOST_AUTO_TEST_CASE(output_is_the_base_plus_the_scaled_low_rank_term) {
  Rng rng(2);
  layers::Linear<double> linear(4, 3, rng);
  LoraLinear<double> hook(4, 3, 2, 6.0, 0.0, rng);
  fill_uniform(hook.lora_b().value, -1.0, 1.0, rng);
  Tensor<double> x(Shape{2, 4});
  fill_uniform(x, -1.0, 1.0, rng);
  const Tensor<double> base = linear.forward(x);
  linear.attach_hook(&hook);
  const Tensor<double> adapted = linear.forward(x);
  BOOST_TEST(hook.scale() == 3.0);
  for (index_t n = 0; n < 2; ++n)
    for (index_t o = 0; o < 3; ++o) {
      double delta = 0;
      for (index_t k = 0; k < 2; ++k) {
        double u = 0;
        for (index_t i = 0; i < 4; ++i) u += hook.lora_a().value(k, i) * x(n, i);
        delta += hook.lora_b().value(o, k) * u;
      }
      BOOST_TEST(adapted(n, o) == base(n, o) + 3.0 * delta, boost::test_tools::tolerance(1e-12));
    }
}

BOOST_AUTO_TEST_CASE(gradients_through_the_whole_encoder_match_finite_differences) {
  Rng rng(3);
  Bert<double> model(adaptrec_test::tiny_bert_config(), rng, /*with_pooler=*/false);
  Lora<double> lora(model, every_target(), rng);
  randomize_lora_b(lora, rng);
  lora.attach(model);
  peft::freeze_backbone(model, lora);
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  adaptrec_test::check_trainable_gradients(model, [&] { return model.forward(batch); }, rng);
}

BOOST_AUTO_TEST_CASE(gradients_with_lora_dropout_match_finite_differences) {
  Rng rng(4);
  Bert<double> model(adaptrec_test::tiny_bert_config(), rng, false);
  LoraOptions options = every_target(2, 0.25);
  options.dropout_seed = 5;
  Lora<double> lora(model, options, rng);
  randomize_lora_b(lora, rng);
  lora.attach(model);
  peft::freeze_backbone(model, lora);
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  adaptrec_test::check_trainable_gradients(
      model,
      [&] {
        for (std::size_t i = 0; i < lora.sites().size(); ++i) lora.hook(i).reseed_dropout(i);
        return model.forward(batch);
      },
      rng);
}

BOOST_AUTO_TEST_CASE(a_fresh_adapter_changes_nothing_and_detach_restores_the_model) {
  Rng rng(5);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  model.eval();
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  const auto before = model.forward(batch).to_vector();
  Lora<float> lora(model, every_target(), rng);
  lora.attach(model);
  BOOST_TEST(lora.attached_to(model));
  BOOST_TEST(model.forward(batch).to_vector() == before);  // B = 0
  randomize_lora_b(lora, rng);
  BOOST_TEST(model.forward(batch).to_vector() != before);
  lora.detach(model);
  BOOST_TEST(!lora.attached_to(model));
  BOOST_TEST(model.forward(batch).to_vector() == before);
}

BOOST_AUTO_TEST_CASE(merged_output_equals_unmerged_and_unmerge_restores_weights) {
  Rng rng(6);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  model.eval();
  Lora<float> lora(model, every_target(), rng);
  randomize_lora_b(lora, rng);
  lora.attach(model);
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  const Tensor<float> unmerged = model.forward(batch);
  const auto weight_before = model.layer(1).attention().value().weight().value.to_vector();
  lora.merge(model);
  BOOST_TEST(model.layer(1).attention().value().weight().value.to_vector() != weight_before);
  // Hidden states are layer-normed, O(1): compare with an absolute tolerance.
  const auto max_difference = [](const Tensor<float>& a, const Tensor<float>& b) {
    float d = 0;
    for (index_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
    return d;
  };
  BOOST_TEST(max_difference(model.forward(batch), unmerged) < 1e-5f);
  lora.unmerge(model);
  const auto weight_after = model.layer(1).attention().value().weight().value.to_vector();
  for (std::size_t i = 0; i < weight_after.size(); ++i)
    BOOST_TEST(weight_after[i] == weight_before[i], boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(max_difference(model.forward(batch), unmerged) < 1e-5f);
  // Detaching a merged adapter unmerges it first.
  lora.merge(model);
  lora.detach(model);
  const auto weight_detached = model.layer(1).attention().value().weight().value.to_vector();
  for (std::size_t i = 0; i < weight_detached.size(); ++i)
    BOOST_TEST(weight_detached[i] == weight_before[i], boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(training_moves_only_the_adapter) {
  Rng rng(7);
  Bert<float> model(adaptrec_test::tiny_bert_config(0.1), rng, true, 3);
  Bert<float> original = model;
  Lora<float> lora(model, LoraOptions{}, rng);
  lora.attach(model);
  peft::freeze_backbone(model, lora);
  optim::AdamW<float> optimizer(collect_parameters(model), {.learning_rate = 0.05f});
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  for (int step = 0; step < 5; ++step) {
    optimizer.zero_grad();
    const Tensor<float> y = model.forward(batch);
    model.backward(Tensor<float>::full(y.shape(), 1.0f));
    optimizer.step();
  }
  lora.detach(model);
  BOOST_TEST(adaptrec_test::changed_parameters(model, original).empty());
  std::size_t moved = 0;
  lora.visit_parameters(
      [&](const std::string&, Parameter<float>& p) {
        for (float v : p.value) moved += v != 0.0f;
      },
      {""});
  BOOST_TEST(moved > 0u);
}

BOOST_AUTO_TEST_CASE(parameters_carry_peft_names_and_counts) {
  Rng rng(8);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  const ParameterCount base = count_parameters(model);
  LoraOptions options;
  options.rank = 2;
  options.layers = {1};
  Lora<float> lora(model, options, rng);
  std::vector<std::string> names;
  lora.visit_parameters([&](const std::string& n, Parameter<float>&) { names.push_back(n); }, {""});
  const std::vector<std::string> expected{
      "encoder.layer.1.attention.self.query.lora_A.weight",
      "encoder.layer.1.attention.self.query.lora_B.weight",
      "encoder.layer.1.attention.self.value.lora_A.weight",
      "encoder.layer.1.attention.self.value.lora_B.weight"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  lora.attach(model);
  peft::freeze_backbone(model, lora);
  const ParameterCount adapted = count_parameters(model);
  BOOST_TEST(adapted.total == base.total + 2 * (2 * 8 + 8 * 2));
  BOOST_TEST(adapted.trainable == 2u * (2 * 8 + 8 * 2));
  const io::Json config = lora.config_json();
  BOOST_TEST(config.at("peft_type").as_string() == "LORA");
  BOOST_TEST(config.at("r").as_double() == 2.0);
}

BOOST_AUTO_TEST_CASE(bad_options_and_mismatched_models_are_reported) {
  Rng rng(9);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  LoraOptions rank_zero, missing_layer, no_targets;
  rank_zero.rank = 0;
  missing_layer.layers = {2};
  no_targets.targets = {};
  require_throw_naming<invalid_argument>([&] { Lora<float>(model, rank_zero, rng); }, {"rank=0"});
  require_throw_naming<index_error>([&] { Lora<float>(model, missing_layer, rng); }, {"layer 2"});
  require_throw_naming<invalid_argument>([&] { Lora<float>(model, no_targets, rng); },
                                         {"no target"});
  require_throw_naming<invalid_argument>([&] { (void)peft::target_from_name("querry"); },
                                         {"querry"});
  BOOST_TEST(static_cast<int>(peft::target_from_name("value")) ==
             static_cast<int>(LinearTarget::value));
  BOOST_TEST(static_cast<int>(peft::target_from_name("intermediate.dense")) ==
             static_cast<int>(LinearTarget::intermediate));

  Lora<float> lora(model, LoraOptions{}, rng);
  require_throw_naming<invalid_argument>([&] { lora.merge(model); }, {"attach"});
  encoders::BertConfig wider = adaptrec_test::tiny_bert_config();
  wider.hidden_size = 12;
  wider.intermediate_size = 16;
  Bert<float> other(wider, rng);
  require_throw_naming<shape_error>([&] { lora.attach(other); },
                                    {"encoder.layer.0.attention.self.query"});
  BOOST_TEST(!lora.attached_to(other));

  Lora<float> second(model, LoraOptions{}, rng);
  lora.attach(model);
  require_throw_naming<invalid_argument>([&] { second.attach(model); }, {"already has a hook"});
}

BOOST_AUTO_TEST_SUITE_END()
