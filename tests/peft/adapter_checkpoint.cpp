#include <adaptrec/peft/adapter_checkpoint.hpp>
#include <adaptrec/peft/bitfit.hpp>
#include <adaptrec/peft/bottleneck_adapter.hpp>
#include <adaptrec/peft/freezing.hpp>
#include <adaptrec/peft/lora.hpp>

#include <peft/tiny_bert.hpp>
#include <support/expect_throw.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using encoders::Bert;

namespace {

// The same pretrained backbone every time (weights from seed 11).
Bert<float> base_model() {
  Rng rng(11);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  model.eval();
  return model;
}

template <class Method>
void randomize(Method& method, Rng& rng) {
  method.visit_parameters(
      [&](const std::string&, Parameter<float>& p) { fill_uniform(p.value, -0.5f, 0.5f, rng); },
      "");
}

peft::LoraOptions lora_options() {
  peft::LoraOptions o;
  o.rank = 2;
  o.alpha = 4;
  o.targets = {peft::LinearTarget::query, peft::LinearTarget::value,
               peft::LinearTarget::intermediate};
  o.layers = {1};
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peft_adapter_checkpoint)

BOOST_AUTO_TEST_CASE(base_checkpoint_plus_lora_adapter_rebuilds_the_model) {
  adaptrec_test::TempDir dir("adaptrec-lora-adapter");
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  Rng rng(1);
  Bert<float> trained = base_model();
  peft::Lora<float> lora(trained, lora_options(), rng);
  randomize(lora, rng);
  lora.attach(trained);
  const auto expected = trained.forward(batch).to_vector();
  io::Json extra = io::Json::object();
  extra.set("base_model_name_or_path", "tiny");
  peft::save_adapter(lora, dir.path(), extra);

  const io::SafetensorsFile file =
      io::SafetensorsFile::open(dir.path() / peft::adapter_weights_file);
  BOOST_TEST(file.names().size() == 6u);
  BOOST_TEST(file.contains("base_model.model.encoder.layer.1.attention.self.query.lora_A.weight"));
  const io::Json config = peft::read_adapter_config(dir.path());
  BOOST_TEST(config.at("base_model_name_or_path").as_string() == "tiny");

  Bert<float> rebuilt = base_model();
  Rng other(99);
  peft::Lora<float> loaded(rebuilt, peft::lora_options_from_json(config), other);
  peft::load_adapter(loaded, dir.path());
  loaded.attach(rebuilt);
  BOOST_TEST(rebuilt.forward(batch).to_vector() == expected);
}

BOOST_AUTO_TEST_CASE(bottleneck_adapters_round_trip) {
  adaptrec_test::TempDir dir("adaptrec-bottleneck-adapter");
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  Rng rng(2);
  peft::BottleneckAdapterOptions options;
  options.bottleneck = 3;
  Bert<float> trained = base_model();
  peft::BottleneckAdapters<float> adapters(trained, options, rng);
  randomize(adapters, rng);
  adapters.attach(trained);
  const auto expected = trained.forward(batch).to_vector();
  peft::save_adapter(adapters, dir.path());

  Bert<float> rebuilt = base_model();
  peft::BottleneckAdapters<float> loaded(rebuilt, options, rng);
  peft::load_adapter(loaded, dir.path());
  loaded.attach(rebuilt);
  BOOST_TEST(rebuilt.forward(batch).to_vector() == expected);
}

BOOST_AUTO_TEST_CASE(bitfit_biases_round_trip_as_the_trainable_subset) {
  adaptrec_test::TempDir dir("adaptrec-bitfit-adapter");
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  Rng rng(3);
  Bert<float> trained = base_model();
  const std::size_t tensors = peft::apply_bitfit(trained);
  // Per layer: q, k, v, attention output, intermediate, output biases and two
  // layer-norm biases; plus the embeddings' layer-norm bias.
  BOOST_TEST(tensors == 2u * 8 + 1);
  auto subset = peft::trainable_parameters(trained);
  randomize(subset, rng);
  const auto expected = trained.forward(batch).to_vector();
  peft::save_adapter(subset, dir.path());
  BOOST_TEST(io::SafetensorsFile::open(dir.path() / peft::adapter_weights_file).names().size() ==
             tensors);

  Bert<float> rebuilt = base_model();
  peft::apply_bitfit(rebuilt);
  auto rebuilt_subset = peft::trainable_parameters(rebuilt);
  peft::load_adapter(rebuilt_subset, dir.path());
  BOOST_TEST(rebuilt.forward(batch).to_vector() == expected);
}

BOOST_AUTO_TEST_CASE(mismatched_options_and_missing_tensors_are_reported) {
  adaptrec_test::TempDir dir("adaptrec-bad-adapter");
  Rng rng(4);
  Bert<float> model = base_model();
  peft::Lora<float> lora(model, lora_options(), rng);
  peft::save_adapter(lora, dir.path());

  peft::LoraOptions other_rank = lora_options();
  other_rank.rank = 3;
  peft::Lora<float> wrong(model, other_rank, rng);
  require_throw_naming<io_error>([&] { peft::load_adapter(wrong, dir.path()); },
                                 {"adapter_config.json", "\"r\""});

  // A file with one tensor fewer than the method has.
  peft::LoraOptions fewer = lora_options();
  fewer.targets = {peft::LinearTarget::query, peft::LinearTarget::value};
  peft::Lora<float> smaller(model, fewer, rng);
  adaptrec_test::TempDir small_dir("adaptrec-small-adapter");
  peft::save_adapter(smaller, small_dir.path());
  std::filesystem::copy_file(dir.path() / peft::adapter_config_file,
                             small_dir.path() / peft::adapter_config_file,
                             std::filesystem::copy_options::overwrite_existing);
  peft::Lora<float> full(model, lora_options(), rng);
  require_throw_naming<io_error>(
      [&] { peft::load_adapter(full, small_dir.path()); },
      {"missing", "base_model.model.encoder.layer.1.intermediate.dense.lora_A.weight"});

  require_throw_naming<io_error>(
      [&] { peft::load_adapter(full, dir.path() / "does-not-exist"); }, {"adapter_config.json"});
  io::Json not_lora = io::Json::object();
  not_lora.set("peft_type", "PREFIX_TUNING");
  require_throw_naming<io_error>([&] { (void)peft::lora_options_from_json(not_lora); },
                                 {"PREFIX_TUNING"});
}

BOOST_AUTO_TEST_CASE(freezing_policies_set_exactly_the_frozen_parts) {
  Bert<float> model = base_model();
  const auto trainable_names = [&] {
    std::vector<std::string> names;
    model.visit_parameters(
        [&](const std::string& n, Parameter<float>& p) {
          if (p.trainable) names.push_back(n);
        },
        "");
    return names;
  };
  const std::size_t all = collect_parameters(model).size();
  peft::FreezingPolicy::all().apply(model);
  BOOST_TEST(trainable_names().empty());
  peft::FreezingPolicy::nothing().apply(model);
  BOOST_TEST(trainable_names().size() == all);
  peft::FreezingPolicy::embeddings().apply(model);
  for (const auto& n : trainable_names()) BOOST_TEST(!n.starts_with("embeddings."));
  peft::FreezingPolicy::bottom_layers(1).apply(model);
  for (const auto& n : trainable_names())
    BOOST_TEST((n.starts_with("encoder.layer.1.") || n.starts_with("pooler.")), n);
  require_throw_naming<invalid_argument>([&] { peft::FreezingPolicy::bottom_layers(3).apply(model); },
                                         {"3 layers"});
}

BOOST_AUTO_TEST_SUITE_END()
