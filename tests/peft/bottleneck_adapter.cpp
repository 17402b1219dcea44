#include <adaptrec/optim/adamw.hpp>
#include <adaptrec/peft/bottleneck_adapter.hpp>
#include <adaptrec/peft/freezing.hpp>

#include <peft/tiny_bert.hpp>
#include <support/expect_throw.hpp>

#include <boost/test/unit_test.hpp>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using encoders::Bert;
using peft::BottleneckAdapterOptions;
using peft::BottleneckAdapters;

namespace {

BottleneckAdapterOptions options(BottleneckAdapterOptions::Placement placement,
                                 backend::Activation activation = backend::Activation::gelu) {
  BottleneckAdapterOptions o;
  o.placement = placement;
  o.bottleneck = 3;
  o.activation = activation;
  return o;
}

// W_up starts at zero; a check of W_down's gradient needs it nonzero.
template <class T>
void randomize_up(BottleneckAdapters<T>& adapters, Rng& rng) {
  for (std::size_t i = 0; i < adapters.sites().size(); ++i) {
    fill_uniform(adapters.adapter(i).up().weight().value, T(-0.5), T(0.5), rng);
    fill_uniform(adapters.adapter(i).up().bias().value, T(-0.2), T(0.2), rng);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peft_bottleneck_adapter)

BOOST_AUTO_TEST_CASE(gradients_through_the_whole_encoder_match_finite_differences) {
  for (auto placement : {BottleneckAdapterOptions::Placement::houlsby,
                         BottleneckAdapterOptions::Placement::pfeiffer}) {
    Rng rng(1);
    Bert<double> model(adaptrec_test::tiny_bert_config(), rng, false);
    BottleneckAdapters<double> adapters(model, options(placement), rng);
    randomize_up(adapters, rng);
    adapters.attach(model);
    peft::freeze_backbone(model, adapters);
    const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
    adaptrec_test::check_trainable_gradients(model, [&] { return model.forward(batch); }, rng);
  }
}

BOOST_AUTO_TEST_CASE(output_adds_the_bottleneck_network_of_the_projection) {
  Rng rng(2);
  layers::Linear<double> linear(5, 4, rng);
  peft::BottleneckAdapter<double> adapter(5, 4, 2, backend::Activation::relu, rng);
  fill_uniform(adapter.up().weight().value, -1.0, 1.0, rng);
  Tensor<double> x(Shape{3, 5});
  fill_uniform(x, -1.0, 1.0, rng);
  const Tensor<double> y = linear.forward(x);
  linear.attach_hook(&adapter);
  const Tensor<double> adapted = linear.forward(x);
  for (index_t n = 0; n < 3; ++n)
    for (index_t o = 0; o < 4; ++o) {
      double z = adapter.up().bias().value[o];
      for (index_t k = 0; k < 2; ++k) {
        double h = adapter.down().bias().value[k];
        for (index_t i = 0; i < 4; ++i) h += adapter.down().weight().value(k, i) * y(n, i);
        z += adapter.up().weight().value(o, k) * std::max(h, 0.0);
      }
      BOOST_TEST(adapted(n, o) == y(n, o) + z, boost::test_tools::tolerance(1e-12));
    }
}

BOOST_AUTO_TEST_CASE(fresh_adapters_are_the_identity_and_training_moves_only_them) {
  Rng rng(3);
  Bert<float> model(adaptrec_test::tiny_bert_config(0.1), rng, true, 4);
  Bert<float> original = model;
  const text::TokenBatch batch = adaptrec_test::tiny_padded_batch();
  model.eval();
  const auto before = model.forward(batch).to_vector();
  BottleneckAdapters<float> adapters(model, options(BottleneckAdapterOptions::Placement::houlsby),
                                     rng);
  adapters.attach(model);
  BOOST_TEST(model.forward(batch).to_vector() == before);
  peft::freeze_backbone(model, adapters);
  model.train();
  optim::AdamW<float> optimizer(collect_parameters(model), {.learning_rate = 0.05f});
  for (int step = 0; step < 5; ++step) {
    optimizer.zero_grad();
    const Tensor<float> y = model.forward(batch);
    model.backward(Tensor<float>::full(y.shape(), 1.0f));
    optimizer.step();
  }
  model.eval();
  BOOST_TEST(model.forward(batch).to_vector() != before);
  adapters.detach(model);
  BOOST_TEST(adaptrec_test::changed_parameters(model, original).empty());
  BOOST_TEST(model.forward(batch).to_vector() == before);
}

BOOST_AUTO_TEST_CASE(placement_names_and_counts) {
  Rng rng(4);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  BottleneckAdapters<float> houlsby(model, options(BottleneckAdapterOptions::Placement::houlsby),
                                    rng);
  BottleneckAdapters<float> pfeiffer(model, options(BottleneckAdapterOptions::Placement::pfeiffer),
                                     rng);
  BOOST_TEST(houlsby.sites().size() == 4u);
  BOOST_TEST(pfeiffer.sites().size() == 2u);
  std::vector<std::string> names;
  pfeiffer.visit_parameters([&](const std::string& n, Parameter<float>&) { names.push_back(n); },
                            "");
  const std::vector<std::string> expected{
      "encoder.layer.0.output.dense.adapter.down.weight",
      "encoder.layer.0.output.dense.adapter.down.bias",
      "encoder.layer.0.output.dense.adapter.up.weight",
      "encoder.layer.0.output.dense.adapter.up.bias",
      "encoder.layer.1.output.dense.adapter.down.weight",
      "encoder.layer.1.output.dense.adapter.down.bias",
      "encoder.layer.1.output.dense.adapter.up.weight",
      "encoder.layer.1.output.dense.adapter.up.bias"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  pfeiffer.attach(model);
  peft::freeze_backbone(model, pfeiffer);
  // Per adapter: down 8x3 + 3, up 3x8 + 8.
  BOOST_TEST(count_parameters(model).trainable == 2u * (24 + 3 + 24 + 8));
  BOOST_TEST(pfeiffer.config_json().at("placement").as_string() == "pfeiffer");
}

BOOST_AUTO_TEST_CASE(bad_options_are_reported) {
  Rng rng(5);
  Bert<float> model(adaptrec_test::tiny_bert_config(), rng);
  BottleneckAdapterOptions zero = options(BottleneckAdapterOptions::Placement::houlsby);
  zero.bottleneck = 0;
  require_throw_naming<invalid_argument>([&] { BottleneckAdapters<float>(model, zero, rng); },
                                         {"bottleneck"});
  BottleneckAdapters<float> adapters(model, options(BottleneckAdapterOptions::Placement::houlsby),
                                     rng);
  adapters.attach(model);
  // An adapter is not linear in the weight, so there is nothing to merge.
  require_throw_naming<invalid_argument>([&] { model.layer(0).output().merge_hook(); },
                                         {"no mergeable hook"});
}

BOOST_AUTO_TEST_SUITE_END()
