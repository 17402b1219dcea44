#include <adaptrec/optim/adamw.hpp>
#include <adaptrec/peft/bottleneck_adapter.hpp>
#include <adaptrec/peft/concept.hpp>
#include <adaptrec/peft/freezing.hpp>
#include <adaptrec/peft/lora.hpp>
#include <adaptrec/peft/scenario_adapters.hpp>

#include <peft/tiny_bert.hpp>
#include <support/expect_throw.hpp>

#include <boost/test/unit_test.hpp>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using encoders::Bert;

static_assert(peft::PeftModule<peft::Lora<float>, Bert<float>>);
static_assert(peft::Mergeable<peft::Lora<float>, Bert<float>>);
static_assert(peft::PeftModule<peft::BottleneckAdapters<float>, Bert<float>>);
static_assert(!peft::Mergeable<peft::BottleneckAdapters<float>, Bert<float>>);
static_assert(peft::check_peft_module<peft::Lora<double>, Bert<double>>());
// A method for another backbone, or something that is no method at all.
static_assert(!peft::PeftModule<peft::Lora<float>, Bert<double>>);
static_assert(!peft::PeftModule<layers::Linear<float>, Bert<float>>);

BOOST_AUTO_TEST_SUITE(peft_scenario_adapters)

BOOST_AUTO_TEST_CASE(each_scenario_trains_only_its_own_set) {
  Rng rng(1);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  set_trainable(model, false);
  peft::ScenarioAdapters<peft::Lora<float>> scenarios(model, 3, peft::LoraOptions{}, rng);
  std::vector<NamedParameter<float>> params = collect_parameters(scenarios);
  BOOST_TEST(params.size() == 3u * 2 * 2 * 2);  // 3 sets, 2 layers, q and v, A and B
  BOOST_TEST(params.front().name == "scenario.0.encoder.layer.0.attention.self.query.lora_A.weight");
  optim::AdamW<float> optimizer(params, {.learning_rate = 0.05f});

  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  const auto values_of = [&](std::size_t s) {
    std::vector<float> v;
    scenarios.scenario(s).visit_parameters(
        [&](const std::string&, Parameter<float>& p) {
          for (float x : p.value) v.push_back(x);
        },
        "");
    return v;
  };
  const auto initial1 = values_of(1), initial2 = values_of(2);
  for (std::size_t s : {0u, 0u, 2u}) {
    scenarios.select(model, s);
    BOOST_TEST(scenarios.active() == static_cast<long>(s));
    optimizer.zero_grad();
    const Tensor<float> y = model.forward(batch);
    model.backward(Tensor<float>::full(y.shape(), 1.0f));
    optimizer.step();
  }
  BOOST_TEST(values_of(1) == initial1);
  BOOST_TEST(values_of(2) != initial2);
  BOOST_TEST(scenarios.scenario(2).attached_to(model));
  BOOST_TEST(!scenarios.scenario(0).attached_to(model));

  // Switching changes the output: each scenario sees its own adapter.
  model.eval();
  scenarios.select(model, 0);
  const auto out0 = model.forward(batch).to_vector();
  scenarios.select(model, 1);
  const auto out1 = model.forward(batch).to_vector();
  scenarios.detach(model);
  const auto base = model.forward(batch).to_vector();
  BOOST_TEST(out0 != out1);
  BOOST_TEST(out1 == base);  // scenario 1 never trained: B is still zero
  require_throw_naming<index_error>([&] { scenarios.select(model, 3); }, {"scenario 3"});
}

BOOST_AUTO_TEST_SUITE_END()
