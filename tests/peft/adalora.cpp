#include <adaptrec/optim/adamw.hpp>
#include <adaptrec/peft/adalora.hpp>
#include <adaptrec/peft/freezing.hpp>

#include <peft/tiny_bert.hpp>
#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <set>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using encoders::Bert;
using peft::AdaLora;
using peft::AdaLoraLinear;
using peft::AdaLoraOptions;
using peft::LinearTarget;

namespace {

AdaLoraOptions every_target(index_t init_r = 3, index_t target_r = 2, double dropout = 0.0) {
  AdaLoraOptions o;
  o.init_r = init_r;
  o.target_r = target_r;
  o.alpha = 5;
  o.dropout = dropout;
  o.targets = {LinearTarget::query,        LinearTarget::key,
               LinearTarget::value,        LinearTarget::attention_output,
               LinearTarget::intermediate, LinearTarget::output};
  o.total_step = 20;
  return o;
}

// lambda starts at zero, which zeroes the gradients of P and Q; a check of
// those needs it nonzero.
template <class T>
void randomize_singular_values(AdaLora<T>& adalora, Rng& rng) {
  adalora.visit_parameters(
      [&](const std::string& name, Parameter<T>& p) {
        if (name.ends_with("lora_E")) fill_uniform(p.value, T(-1), T(1), rng);
      },
      "");
}

// Finite differences of L = <forward(), r> + extra() for every trainable
// parameter; add_extra_gradient() adds extra's analytic gradient.
void check_trainable_gradients(Bert<double>& model, const std::function<Tensor<double>()>& run,
                               Rng& rng, const std::function<double()>& extra = {},
                               const std::function<void()>& add_extra_gradient = {}) {
  Tensor<double> y = run();
  Tensor<double> r(y.shape());
  fill_uniform(r, -1.0, 1.0, rng);
  const auto loss = [&] { return adaptrec_test::inner(run(), r) + (extra ? extra() : 0.0); };
  zero_grad(model);
  run();
  model.backward(r);
  if (add_extra_gradient) add_extra_gradient();
  std::size_t checked = 0;
  model.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        if (!p.trainable) return;
        const Tensor<double> analytic = p.grad;
        adaptrec_test::compare(analytic, adaptrec_test::numeric_gradient(p.value, loss), name);
        ++checked;
      },
      "");
  BOOST_TEST(checked == 36u);  // lora_A, lora_E, lora_B at 2 layers x 6 targets
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peft_adalora)

BOOST_AUTO_TEST_CASE(output_is_the_base_plus_the_scaled_svd_term) {
  Rng rng(1);
  layers::Linear<double> linear(4, 3, rng);
  AdaLoraLinear<double> hook(4, 3, 3, 6.0, 0.0, rng);
  fill_uniform(hook.lora_e().value, -1.0, 1.0, rng);
  Tensor<double> x(Shape{2, 4});
  fill_uniform(x, -1.0, 1.0, rng);
  const Tensor<double> base = linear.forward(x);
  linear.attach_hook(&hook);
  const Tensor<double> adapted = linear.forward(x);
  const double scale = 6.0 / (3.0 + 1e-5);  // PEFT's alpha / (ranknum + 1e-5)
  BOOST_TEST(hook.scale() == scale, boost::test_tools::tolerance(1e-15));
  for (index_t n = 0; n < 2; ++n)
    for (index_t o = 0; o < 3; ++o) {
      double delta = 0;
      for (index_t k = 0; k < 3; ++k) {
        double u = 0;
        for (index_t i = 0; i < 4; ++i) u += hook.lora_a().value(k, i) * x(n, i);
        delta += hook.lora_b().value(o, k) * hook.lora_e().value[k] * u;
      }
      BOOST_TEST(adapted(n, o) == base(n, o) + scale * delta, boost::test_tools::tolerance(1e-12));
    }
}

BOOST_AUTO_TEST_CASE(hook_gradients_on_a_frozen_linear_match_finite_differences) {
  for (double dropout : {0.0, 0.3}) {
    Rng rng(2);
    layers::Linear<double> linear(6, 5, rng);
    set_trainable(linear, false);
    AdaLoraLinear<double> hook(6, 5, 3, 4.0, dropout, rng, 9);
    fill_uniform(hook.lora_e().value, -1.0, 1.0, rng);
    linear.attach_hook(&hook);
    Tensor<double> x(Shape{3, 2, 6});
    fill_uniform(x, -1.0, 1.0, rng);
    adaptrec_test::check_module_gradients(linear, x, rng, adaptrec_test::fd_tolerance,
                                          [&] { hook.reseed_dropout(4); });
    BOOST_TEST(linear.weight().grad.to_vector() == std::vector<double>(30, 0.0));
  }
}

BOOST_AUTO_TEST_CASE(gradients_through_the_whole_encoder_match_finite_differences) {
  for (double dropout : {0.0, 0.25}) {
    Rng rng(3);
    Bert<double> model(adaptrec_test::tiny_bert_config(), rng, /*with_pooler=*/false);
    AdaLoraOptions options = every_target(3, 2, dropout);
    options.dropout_seed = 5;
    AdaLora<double> adalora(model, options, rng);
    randomize_singular_values(adalora, rng);
    adalora.attach(model);
    peft::freeze_backbone(model, adalora);
    const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
    check_trainable_gradients(
        model,
        [&] {
          for (std::size_t i = 0; i < adalora.sites().size(); ++i)
            adalora.hook(i).reseed_dropout(i);
          return model.forward(batch);
        },
        rng);
  }
}

BOOST_AUTO_TEST_CASE(orthogonal_regularization_matches_its_definition_and_gradient) {
  Rng rng(4);
  AdaLoraLinear<double> hook(5, 4, 3, 1.0, 0.0, rng);
  fill_uniform(hook.lora_a().value, -1.0, 1.0, rng);
  fill_uniform(hook.lora_b().value, -1.0, 1.0, rng);
  // R = ||P^T P - I||^2 + ||Q Q^T - I||^2 by plain loops.
  double expected = 0;
  for (index_t i = 0; i < 3; ++i)
    for (index_t j = 0; j < 3; ++j) {
      double left = i == j ? -1.0 : 0.0, right = left;
      for (index_t o = 0; o < 4; ++o) left += hook.lora_b().value(o, i) * hook.lora_b().value(o, j);
      for (index_t k = 0; k < 5; ++k)
        right += hook.lora_a().value(i, k) * hook.lora_a().value(j, k);
      expected += left * left + right * right;
    }
  BOOST_TEST(hook.orthogonal_regularization() == expected, boost::test_tools::tolerance(1e-12));

  const double weight = 0.7;
  BOOST_TEST(hook.add_orthogonal_regularization_gradient(weight) == expected,
             boost::test_tools::tolerance(1e-12));
  const auto penalty = [&] { return weight * hook.orthogonal_regularization(); };
  adaptrec_test::compare(hook.lora_a().grad,
                         adaptrec_test::numeric_gradient(hook.lora_a().value, penalty), "lora_A");
  adaptrec_test::compare(hook.lora_b().grad,
                         adaptrec_test::numeric_gradient(hook.lora_b().value, penalty), "lora_B");
  BOOST_TEST(hook.lora_e().grad.to_vector() == std::vector<double>(3, 0.0));

  // Orthonormal factors cost nothing.
  hook.lora_a().value = Tensor<double>(Shape{3, 5}, {1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0});
  hook.lora_b().value = Tensor<double>(Shape{4, 3}, {0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1});
  BOOST_TEST(hook.orthogonal_regularization() == 0.0);
}

BOOST_AUTO_TEST_CASE(regularized_objective_gradients_through_the_encoder_match) {
  Rng rng(5);
  Bert<double> model(adaptrec_test::tiny_bert_config(), rng, false);
  AdaLora<double> adalora(model, every_target(), rng);
  randomize_singular_values(adalora, rng);
  adalora.attach(model);
  peft::freeze_backbone(model, adalora);
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  const double weight = 0.3;
  check_trainable_gradients(
      model, [&] { return model.forward(batch); }, rng,
      [&] { return weight * adalora.orthogonal_regularization(); },
      [&] {
        BOOST_TEST(adalora.regularize(weight) == weight * adalora.orthogonal_regularization(),
                   boost::test_tools::tolerance(1e-12));
      });
}

BOOST_AUTO_TEST_CASE(a_fresh_adapter_changes_nothing_and_detach_restores_the_model) {
  Rng rng(6);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  model.eval();
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  const auto before = model.forward(batch).to_vector();
  AdaLora<float> adalora(model, every_target(), rng);
  adalora.attach(model);
  BOOST_TEST(adalora.attached_to(model));
  BOOST_TEST(model.forward(batch).to_vector() == before);  // lambda = 0
  randomize_singular_values(adalora, rng);
  BOOST_TEST(model.forward(batch).to_vector() != before);
  adalora.detach(model);
  BOOST_TEST(!adalora.attached_to(model));
  BOOST_TEST(model.forward(batch).to_vector() == before);
}

BOOST_AUTO_TEST_CASE(merged_output_equals_unmerged_and_unmerge_restores_weights) {
  Rng rng(7);
  Bert<double> model(adaptrec_test::tiny_bert_config(), rng);
  model.eval();
  AdaLora<double> adalora(model, every_target(), rng);
  randomize_singular_values(adalora, rng);
  adalora.hook(0).mask_triplets({true, false, true});
  BOOST_TEST(adalora.hook(0).lora_e().value[1] == 0.0);
  adalora.attach(model);
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  const Tensor<double> unmerged = model.forward(batch);
  const Tensor<double> weight_before = model.layer(1).intermediate().weight().value;
  adalora.merge(model);
  BOOST_TEST(model.layer(1).intermediate().weight().value.to_vector() != weight_before.to_vector());
  const Tensor<double> merged = model.forward(batch);
  for (index_t i = 0; i < merged.size(); ++i)
    BOOST_TEST(merged[i] == unmerged[i], boost::test_tools::tolerance(1e-12));
  require_throw_naming<invalid_argument>(
      [&] {
        adalora.hook(0).mask_triplets({true, true, false});
      },
      {"unmerge"});
  adalora.unmerge(model);
  const Tensor<double>& weight_after = model.layer(1).intermediate().weight().value;
  for (index_t i = 0; i < weight_after.size(); ++i)
    BOOST_TEST(weight_after[i] == weight_before[i], boost::test_tools::tolerance(1e-12));
  const Tensor<double> again = model.forward(batch);
  for (index_t i = 0; i < again.size(); ++i)
    BOOST_TEST(again[i] == unmerged[i], boost::test_tools::tolerance(1e-12));
  adalora.merge(model);
  adalora.detach(model);
  const Tensor<double>& weight_detached = model.layer(1).intermediate().weight().value;
  for (index_t i = 0; i < weight_detached.size(); ++i)
    BOOST_TEST(weight_detached[i] == weight_before[i], boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(training_moves_only_the_adapter) {
  Rng rng(8);
  Bert<float> model(adaptrec_test::tiny_bert_config(0.1), rng, true, 3);
  Bert<float> original = model;
  AdaLoraOptions options;
  options.total_step = 6;
  options.delta_t = 2;
  AdaLora<float> adalora(model, options, rng);
  adalora.attach(model);
  peft::freeze_backbone(model, adalora);
  optim::AdamW<float> optimizer(collect_parameters(model), {.learning_rate = 0.05f});
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  for (index_t step = 0; step < 6; ++step) {
    const Tensor<float> y = model.forward(batch);
    model.backward(Tensor<float>::full(y.shape(), 1.0f));
    adalora.regularize();
    optimizer.step();
    adalora.update_and_allocate(step);
    optimizer.zero_grad();
  }
  adalora.detach(model);
  BOOST_TEST(adaptrec_test::changed_parameters(model, original).empty());
  std::size_t moved_singular_values = 0;
  adalora.visit_parameters(
      [&](const std::string& name, Parameter<float>& p) {
        if (name.ends_with("lora_E"))
          for (float v : p.value) moved_singular_values += v != 0.0f;
      },
      "");
  BOOST_TEST(moved_singular_values > 0u);
}

BOOST_AUTO_TEST_CASE(parameters_carry_peft_names_and_the_config_its_fields) {
  Rng rng(9);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  const ParameterCount base = count_parameters(model);
  AdaLoraOptions options;
  options.init_r = 3;
  options.target_r = 1;
  options.layers = {1};
  options.total_step = 10;
  AdaLora<float> adalora(model, options, rng);
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  adalora.visit_parameters(
      [&](const std::string& n, Parameter<float>& p) {
        names.push_back(n);
        shapes.push_back(p.shape());
      },
      "");
  const std::vector<std::string> expected{
      "encoder.layer.1.attention.self.query.lora_A", "encoder.layer.1.attention.self.query.lora_E",
      "encoder.layer.1.attention.self.query.lora_B", "encoder.layer.1.attention.self.value.lora_A",
      "encoder.layer.1.attention.self.value.lora_E", "encoder.layer.1.attention.self.value.lora_B"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  BOOST_TEST((shapes[0] == Shape{3, 8} && shapes[1] == Shape{3, 1} && shapes[2] == Shape{8, 3}));
  adalora.attach(model);
  peft::freeze_backbone(model, adalora);
  const ParameterCount adapted = count_parameters(model);
  BOOST_TEST(adapted.trainable == 2u * (3 * 8 + 3 + 8 * 3));
  BOOST_TEST(adapted.total == base.total + adapted.trainable);

  io::Json config = adalora.config_json();
  BOOST_TEST(config.at("peft_type").as_string() == "ADALORA");
  BOOST_TEST(config.at("init_r").as_int() == 3);
  BOOST_TEST(config.at("target_r").as_int() == 1);
  BOOST_TEST(config.at("total_step").as_int() == 10);
  BOOST_TEST(config.at("deltaT").as_int() == 1);
  BOOST_TEST(config.at("beta1").as_double() == 0.85);
  BOOST_TEST(config.at("orth_reg_weight").as_double() == 0.5);
  BOOST_TEST(config.at("layers_to_transform").at(std::size_t(0)).as_int() == 1);
  BOOST_TEST(config.at("rank_pattern").is_null());
  for (index_t step = 0; step <= 10; ++step) adalora.update_and_allocate(step);
  BOOST_TEST(adalora.total_rank() == 2);
  config = adalora.config_json();
  const io::Json& pattern = config.at("rank_pattern");
  BOOST_REQUIRE(pattern.is_object());
  const io::Json& query = pattern.at("encoder.layer.1.attention.self.query.lora_E");
  BOOST_TEST(query.size() == 3u);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < 3; ++i)
    kept += query.at(i).as_bool() +
            pattern.at("encoder.layer.1.attention.self.value.lora_E").at(i).as_bool();
  BOOST_TEST(kept == 2u);
}

BOOST_AUTO_TEST_CASE(bad_options_and_mismatched_models_are_reported) {
  Rng rng(10);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  const auto with = [](std::function<void(AdaLoraOptions&)> change) {
    AdaLoraOptions o;
    o.total_step = 10;
    change(o);
    return o;
  };
  require_throw_naming<invalid_argument>(
      [&] { AdaLora<float>(model, with([](auto& o) { o.target_r = 13; }), rng); },
      {"init_r=12", "target_r=13"});
  require_throw_naming<invalid_argument>(
      [&] { AdaLora<float>(model, with([](auto& o) { o.init_r = 0; }), rng); }, {"init_r=0"});
  require_throw_naming<invalid_argument>(
      [&] { AdaLora<float>(model, with([](auto& o) { o.total_step = 0; }), rng); },
      {"total_step=0"});
  require_throw_naming<invalid_argument>(
      [&] {
        AdaLora<float>(model, with([](auto& o) {
                         o.tinit = 5;
                         o.tfinal = 5;
                       }),
                       rng);
      },
      {"tinit=5", "tfinal=5", "total_step=10"});
  require_throw_naming<invalid_argument>(
      [&] { AdaLora<float>(model, with([](auto& o) { o.delta_t = 0; }), rng); }, {"delta_t=0"});
  require_throw_naming<invalid_argument>(
      [&] { AdaLora<float>(model, with([](auto& o) { o.beta2 = 0; }), rng); }, {"beta2=0"});
  require_throw_naming<invalid_argument>(
      [&] { AdaLora<float>(model, with([](auto& o) { o.orth_reg_weight = -1; }), rng); },
      {"orth_reg_weight=-1"});
  require_throw_naming<invalid_argument>(
      [&] { AdaLora<float>(model, with([](auto& o) { o.dropout = 1; }), rng); }, {"dropout"});
  require_throw_naming<index_error>(
      [&] { AdaLora<float>(model, with([](auto& o) { o.layers = {2}; }), rng); }, {"layer 2"});

  AdaLora<float> adalora(model, with([](auto&) {}), rng);
  require_throw_naming<invalid_argument>([&] { adalora.merge(model); }, {"attach"});
  encoders::BertConfig wider = adaptrec_test::tiny_bert_config();
  wider.hidden_size = 12;
  wider.intermediate_size = 16;
  Bert<float> other(wider, rng);
  require_throw_naming<shape_error>([&] { adalora.attach(other); },
                                    {"encoder.layer.0.attention.self.query"});
  require_throw_naming<shape_error>([&] { adalora.hook(0).mask_triplets({true}); },
                                    {"rank-12", "[12, 1]"});
  Tensor<float> wrong(Shape{8, 9});
  require_throw_naming<shape_error>([&] { adalora.hook(0).merge_into(wrong); }, {"[8, 9]"});
}

BOOST_AUTO_TEST_CASE(a_tiny_training_run_lowers_the_loss_and_ends_at_the_target_rank) {
  // Regress the CLS vector of each sequence toward a fixed target.
  Rng rng(11);
  Bert<double> model(adaptrec_test::tiny_bert_config(), rng, false);
  model.eval();
  AdaLoraOptions options = every_target(4, 2);
  options.total_step = 120;
  options.tinit = 20;
  options.tfinal = 30;
  options.delta_t = 5;
  options.orth_reg_weight = 0.1;
  AdaLora<double> adalora(model, options, rng);
  adalora.attach(model);
  peft::freeze_backbone(model, adalora);
  optim::AdamW<double> optimizer(collect_parameters(model),
                                 {.learning_rate = 0.02, .weight_decay = 0.0});
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  // The CLS vector leaves a layer norm (scale 1, shift 0): a target row with
  // mean 0 and variance 1 is reachable.
  Tensor<double> target(Shape{2, 8});
  fill_uniform(target, -1.0, 1.0, rng);
  for (index_t row = 0; row < 2; ++row) {
    double mean = 0, variance = 0;
    for (index_t i = 0; i < 8; ++i) mean += target(row, i) / 8;
    for (index_t i = 0; i < 8; ++i)
      variance += (target(row, i) - mean) * (target(row, i) - mean) / 8;
    for (index_t i = 0; i < 8; ++i) target(row, i) = (target(row, i) - mean) / std::sqrt(variance);
  }

  const auto squared_error = [&](Tensor<double>* gradient) {
    const Tensor<double> cls = model.encode(batch, encoders::Pooling::cls);
    double loss = 0;
    if (gradient) *gradient = Tensor<double>(cls.shape());
    for (index_t i = 0; i < cls.size(); ++i) {
      const double d = cls[i] - target[i];
      loss += d * d / double(cls.size());
      if (gradient) (*gradient)[i] = 2 * d / double(cls.size());
    }
    return loss;
  };
  const double initial_loss = squared_error(nullptr);
  std::set<index_t> budgets_masked_to;
  for (index_t step = 0; step < options.total_step; ++step) {
    Tensor<double> gradient;
    squared_error(&gradient);
    model.encode_backward(gradient);
    adalora.regularize();
    optimizer.step();
    const index_t budget = adalora.update_and_allocate(step);
    if (adalora.schedule().at(step).mask) {
      BOOST_TEST(adalora.total_rank() == budget, "step " << step);
      budgets_masked_to.insert(budget);
    }
    optimizer.zero_grad();
  }
  const double final_loss = squared_error(nullptr);
  BOOST_TEST_MESSAGE("AdaLoRA tiny run: loss " << initial_loss << " -> " << final_loss);
  BOOST_TEST(final_loss < 0.2 * initial_loss);
  BOOST_TEST(budgets_masked_to.size() > 3u);  // the budget fell in several steps
  BOOST_TEST(adalora.total_rank() == 2 * 12);
  std::string pattern;
  for (index_t r : adalora.rank_pattern()) pattern += std::to_string(r) + " ";
  BOOST_TEST_MESSAGE("rank pattern: " << pattern);
  for (std::size_t s = 0; s < adalora.sites().size(); ++s) {
    const auto& kept = adalora.hook(s).kept_triplets();
    for (std::size_t i = 0; i < kept.size(); ++i)
      if (!kept[i]) BOOST_TEST(adalora.hook(s).lora_e().value[index_t(i)] == 0.0);
  }
}

BOOST_AUTO_TEST_SUITE_END()
