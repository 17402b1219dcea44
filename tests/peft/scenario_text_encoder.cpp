#include <adaptrec/fusion/sum_fusion.hpp>
#include <adaptrec/layers/embedding.hpp>
#include <adaptrec/peft/lora.hpp>
#include <adaptrec/peft/scenario_text_encoder.hpp>
#include <adaptrec/recommender/tower.hpp>

#include <peft/tiny_bert.hpp>
#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <set>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using TextLora = peft::ScenarioTextEncoder<peft::Lora<double>>;

static_assert(encoders::Encoder<peft::ScenarioTextEncoder<peft::Lora<float>>>);
static_assert(recommender::Tower<fusion::SumFusion<float>,
                                 peft::ScenarioTextEncoder<peft::Lora<float>>>::keeps_scenario_state);
static_assert(!recommender::Tower<fusion::SumFusion<float>,
                                  layers::Embedding<float>>::keeps_scenario_state);

namespace {

text::BertTokenizer tiny_tokenizer() {
  return text::BertTokenizer(text::Vocabulary({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                               "toy", "story", "star", "wars", "comedy", "drama",
                                               "(", ")"}));
}

encoders::ItemTextEncoder<double> text_encoder(Rng& rng) {
  encoders::Bert<double> bert(adaptrec_test::tiny_bert_config(), rng, false);
  encoders::ItemTextEncoderOptions options;
  options.output_dim = 5;
  options.max_length = 12;
  options.fine_tune_top_layers = 1;
  return encoders::ItemTextEncoder<double>(
      std::move(bert), tiny_tokenizer(),
      {"Toy Story (1995) comedy", "Star Wars drama", "story", "Wars Toy Star (1995)"}, options,
      rng);
}

peft::LoraOptions top_layer_lora() {
  peft::LoraOptions o;
  o.rank = 2;
  o.alpha = 2;
  o.layers = {1};
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peft_scenario_text_encoder)

BOOST_AUTO_TEST_CASE(gradients_of_the_active_set_and_projection_match_finite_differences) {
  Rng rng(1);
  TextLora encoder(text_encoder(rng), 3, top_layer_lora(), rng);
  encoder.adapters().visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        if (name.ends_with("lora_B.weight")) fill_uniform(p.value, -0.5, 0.5, rng);
      },
      "");
  encoder.select_scenario(2);
  adaptrec_test::check_module_gradients(encoder, Tensor<index_t>(Shape{3}, {0, 3, 0}), rng);
  // Only the projection and scenario 2's set train.
  std::vector<std::string> trainable;
  encoder.visit_parameters(
      [&](const std::string& n, Parameter<double>& p) {
        if (p.trainable) trainable.push_back(n);
      },
      "");
  BOOST_TEST(trainable.size() == 2u + 4u);
  for (const auto& n : trainable)
    BOOST_TEST((n.starts_with("projection.") || n.starts_with("scenario.2.")), n);
}

BOOST_AUTO_TEST_CASE(every_tensor_is_visited_once_and_scenarios_differ) {
  Rng rng(2);
  TextLora encoder(text_encoder(rng), 2, top_layer_lora(), rng);
  std::set<const Parameter<double>*> seen;
  std::size_t visits = 0;
  encoder.visit_parameters(
      [&](const std::string&, Parameter<double>& p) {
        seen.insert(&p);
        ++visits;
      },
      "");
  BOOST_TEST(seen.size() == visits);
  encoder.eval();
  const Tensor<index_t> ids(Shape{2}, {1, 2});
  const auto base = encoder.forward(ids).to_vector();
  encoder.adapters().scenario(1).visit_parameters(
      [&](const std::string&, Parameter<double>& p) { fill_uniform(p.value, -0.5, 0.5, rng); }, "");
  BOOST_TEST(encoder.forward(ids).to_vector() == base);  // scenario 0 is attached
  encoder.select_scenario(1);
  BOOST_TEST(encoder.forward(ids).to_vector() != base);
  encoder.select_scenario(0);
  BOOST_TEST(encoder.forward(ids).to_vector() == base);
}

BOOST_AUTO_TEST_CASE(a_method_on_cached_layers_is_refused) {
  Rng rng(3);
  peft::LoraOptions bottom = top_layer_lora();
  bottom.layers = {0, 1};
  require_throw_naming<invalid_argument>([&] { TextLora(text_encoder(rng), 2, bottom, rng); },
                                         {"layer 0", "fine_tune_top_layers=1"});
  bottom.layers = {};
  require_throw_naming<invalid_argument>([&] { TextLora(text_encoder(rng), 2, bottom, rng); },
                                         {"layer 0"});
}

BOOST_AUTO_TEST_SUITE_END()
