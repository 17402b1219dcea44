#include <adaptrec/encoders/item_text_encoder.hpp>
#include <adaptrec/optim/adam.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <map>
#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using encoders::Bert;
using encoders::BertConfig;
using encoders::ItemTextEncoder;
using encoders::ItemTextEncoderOptions;
using encoders::Pooling;

namespace {

// A tokenizer over a vocabulary just large enough for item_texts().
text::BertTokenizer tiny_tokenizer() {
  return text::BertTokenizer(text::Vocabulary(
      {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "toy", "story", "star", "wars", "return",
       "of", "the", "jedi", "comedy", "drama", "action", "(", ")", "|", ",", "1995", "1977"}));
}

// Texts of different lengths, so batches are padded.
std::vector<std::string> item_texts() {
  return {"Toy Story (1995) | Comedy",
          "Star Wars (1977) | Action, Drama",
          "Return of the Jedi | Action",
          "Jedi",
          "The Story of the Toy Wars (1995) | Drama, Comedy"};
}

// hidden 8, 2 layers, 2 heads; no dropout, so training-mode forwards repeat.
BertConfig tiny_config(bool pre_layer_norm = false) {
  BertConfig c;
  c.vocab_size = 22;
  c.hidden_size = 8;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.intermediate_size = 12;
  c.max_position_embeddings = 24;
  c.layer_norm_eps = 1e-6;
  c.hidden_dropout_prob = 0.0;
  c.attention_probs_dropout_prob = 0.0;
  c.initializer_range = 0.4;  // larger than BERT's 0.02, so no term is negligible
  c.pre_layer_norm = pre_layer_norm;
  return c;
}

template <class T = double>
Bert<T> tiny_bert(std::uint64_t seed = 11, bool pre_layer_norm = false) {
  Rng rng(seed);
  return Bert<T>(tiny_config(pre_layer_norm), rng);
}

ItemTextEncoderOptions options(index_t top_layers, Pooling pooling = Pooling::mean,
                               bool normalize = false) {
  return {.pooling = pooling,
          .max_length = 16,
          .output_dim = 3,
          .fine_tune_top_layers = top_layers,
          .encode_batch = 2,
          .normalize_text_vectors = normalize};
}

// The encoder built from tiny_bert() and the same projection seed each time.
template <class T = double>
ItemTextEncoder<T> make_encoder(const ItemTextEncoderOptions& o,
                                std::vector<std::string> texts = item_texts()) {
  Rng rng(5);
  return ItemTextEncoder<T>(tiny_bert<T>(), tiny_tokenizer(), texts, o, rng);
}

// One text alone through `bert`, unpadded.
text::TokenBatch single(const std::string& text) {
  return tiny_tokenizer().encode_batch({text}, 16);
}

void require_close(const Tensor<double>& a, const Tensor<double>& b, double tol,
                   const std::string& what) {
  BOOST_REQUIRE_MESSAGE(a.shape() == b.shape(),
                        what << ": " << a.shape().to_string() << " vs " << b.shape().to_string());
  for (index_t i = 0; i < a.size(); ++i)
    BOOST_TEST(std::abs(a[i] - b[i]) <= tol, what << "[" << i << "]: " << a[i] << " vs " << b[i]);
}

Tensor<index_t> ids(std::vector<index_t> values) {
  const Shape shape{static_cast<index_t>(values.size())};
  return Tensor<index_t>(shape, values);
}

// Every value of the parameters `pick` selects, by name.
std::map<std::string, Tensor<double>> values_of(Bert<double>& bert,
                                                bool (*pick)(const std::string&)) {
  std::map<std::string, Tensor<double>> out;
  bert.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        if (pick(name)) out.emplace(name, p.value);
      },
      "");
  return out;
}

bool bitwise_equal(const Tensor<double>& a, const Tensor<double>& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.bytes()) == 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_item_text_encoder)

static_assert(Module<ItemTextEncoder<float>>);
static_assert(Module<ItemTextEncoder<double>>);

BOOST_AUTO_TEST_CASE(frozen_cache_equals_direct_encode_of_each_item) {
  for (Pooling pooling : {Pooling::cls, Pooling::mean, Pooling::pooler})
    for (bool normalize : {false, true}) {
      ItemTextEncoder<double> encoder = make_encoder(options(0, pooling, normalize));
      Bert<double> reference = tiny_bert();
      reference.eval();
      BOOST_TEST(encoder.num_items() == 5);
      for (index_t item = 0; item < encoder.num_items(); ++item) {
        Tensor<double> direct =
            reference.encode(single(item_texts()[static_cast<std::size_t>(item)]), pooling);
        if (normalize) direct = layers::L2Normalize<double>().forward(direct);
        require_close(encoder.cached(item), direct.reshaped(Shape{8}), 1e-12,
                      std::string(encoders::to_string(pooling)) + " item " + std::to_string(item));
      }
    }
}

BOOST_AUTO_TEST_CASE(fine_tune_cache_holds_the_bottom_layers_output) {
  ItemTextEncoder<double> encoder = make_encoder(options(1));
  Bert<double> reference = tiny_bert();
  reference.eval();
  for (index_t item = 0; item < encoder.num_items(); ++item) {
    const text::TokenBatch batch = single(item_texts()[static_cast<std::size_t>(item)]);
    const Tensor<double> direct = reference.layer(0).forward(
        reference.embeddings().forward(batch.input_ids, batch.token_type_ids),
        batch.attention_mask.cast<double>());
    const index_t tokens = batch.sequence_length();
    BOOST_TEST(static_cast<index_t>(encoder.token_ids(item).size()) == tokens);
    require_close(encoder.cached(item), direct.reshaped(Shape{tokens, 8}), 1e-12,
                  "item " + std::to_string(item));
  }
}

BOOST_AUTO_TEST_CASE(fine_tuning_agrees_with_the_frozen_mode_before_training) {
  for (Pooling pooling : {Pooling::cls, Pooling::mean, Pooling::pooler}) {
    ItemTextEncoder<double> frozen = make_encoder(options(0, pooling, true));
    const Tensor<index_t> batch = ids({4, 0, 3, 0, 2, 1});
    const Tensor<double> expected = frozen.forward(batch);
    BOOST_REQUIRE(expected.shape() == (Shape{6, 3}));
    for (index_t k : {1, 2}) {
      ItemTextEncoder<double> tuned = make_encoder(options(k, pooling, true));
      const std::string what =
          std::string(encoders::to_string(pooling)) + " k=" + std::to_string(k);
      require_close(tuned.forward(batch), expected, 1e-12, what + " (training)");
      tuned.eval();  // eval forwards go in shortest-first groups of encode_batch
      require_close(tuned.forward(batch), expected, 1e-12, what + " (eval)");
    }
  }
}

BOOST_AUTO_TEST_CASE(forward_keeps_the_shape_of_the_ids) {
  for (index_t k : {0, 1}) {
    ItemTextEncoder<double> encoder = make_encoder(options(k));
    const Tensor<double> rows = encoder.forward(ids({1, 2, 3, 4}));
    const Tensor<double> grid = encoder.forward(Tensor<index_t>(Shape{2, 2}, {1, 2, 3, 4}));
    BOOST_REQUIRE(grid.shape() == (Shape{2, 2, 3}));
    require_close(grid.reshaped(Shape{4, 3}), rows, 0.0, "k=" + std::to_string(k));
  }
}

BOOST_AUTO_TEST_CASE(frozen_mode_trains_the_projection_only) {
  ItemTextEncoder<double> encoder = make_encoder(options(0, Pooling::mean, true));
  std::vector<std::string> names;
  for (const auto& named : collect_parameters(encoder)) names.push_back(named.name);
  BOOST_TEST(names == (std::vector<std::string>{"projection.weight", "projection.bias"}),
             boost::test_tools::per_element());
  Rng rng(3);
  adaptrec_test::check_module_gradients(encoder, ids({2, 0, 2, 4, 3}), rng);
}

BOOST_AUTO_TEST_CASE(top_layer_gradients_match_finite_differences) {
  for (Pooling pooling : {Pooling::cls, Pooling::mean, Pooling::pooler})
    for (bool normalize : {false, true}) {
      BOOST_TEST_CONTEXT(encoders::to_string(pooling) << (normalize ? " normalized" : "")) {
        ItemTextEncoder<double> encoder = make_encoder(options(1, pooling, normalize));
        bool saw_layer_1 = false, saw_pooler = false;
        for (const auto& named : collect_parameters(encoder)) {
          BOOST_TEST(!named.name.starts_with("encoder.layer.0."), named.name);
          BOOST_TEST(!named.name.starts_with("embeddings."), named.name);
          saw_layer_1 |= named.name == "encoder.layer.1.attention.self.query.weight";
          saw_pooler |= named.name == "pooler.dense.weight";
        }
        BOOST_TEST(saw_layer_1);
        BOOST_TEST(saw_pooler == (pooling == Pooling::pooler));
        Rng rng(4);
        adaptrec_test::check_module_gradients(encoder, ids({2, 0, 2, 4, 3}), rng, 1e-5);
      }
    }
}

BOOST_AUTO_TEST_CASE(pre_layer_norm_encoders_fine_tune_their_final_layer_norm) {
  const auto build = [](index_t k) {
    Rng rng(5);
    return ItemTextEncoder<double>(tiny_bert(11, true), tiny_tokenizer(), item_texts(),
                                   options(k, Pooling::mean, true), rng);
  };
  ItemTextEncoder<double> frozen = build(0);
  ItemTextEncoder<double> tuned = build(1);
  const Tensor<index_t> batch = ids({4, 0, 3, 0, 2, 1});
  require_close(tuned.forward(batch), frozen.forward(batch), 1e-12, "pre-LN k=1");
  bool saw_final_norm = false;
  for (const auto& named : collect_parameters(tuned))
    saw_final_norm |= named.name == "encoder.final_layer_norm.weight";
  BOOST_TEST(saw_final_norm);
  Rng rng(4);
  adaptrec_test::check_module_gradients(tuned, ids({2, 0, 2, 4, 3}), rng, 1e-5);
}

BOOST_AUTO_TEST_CASE(an_optimizer_step_leaves_the_bottom_layers_bit_identical) {
  ItemTextEncoder<double> encoder = make_encoder(options(1));
  const auto bottom = [](const std::string& name) { return !name.starts_with("encoder.layer.1."); };
  const auto top = [](const std::string& name) { return name.starts_with("encoder.layer.1."); };
  const auto bottom_before = values_of(encoder.encoder(), bottom);
  const auto top_before = values_of(encoder.encoder(), top);
  std::vector<Tensor<double>> cache_before;
  for (index_t item = 0; item < encoder.num_items(); ++item)
    cache_before.push_back(encoder.cached(item));

  optim::Adam<double> adam(collect_parameters(encoder), {.learning_rate = 0.05});
  Rng rng(6);
  for (int step = 0; step < 3; ++step) {
    const Tensor<double> y = encoder.forward(ids({0, 1, 2, 1}));
    Tensor<double> dy(y.shape());
    fill_uniform(dy, -1.0, 1.0, rng);
    encoder.backward(dy);
    adam.step();
    adam.zero_grad();
  }

  const auto bottom_after = values_of(encoder.encoder(), bottom);
  BOOST_REQUIRE(bottom_after.size() == bottom_before.size());
  for (const auto& [name, value] : bottom_before)
    BOOST_TEST(bitwise_equal(bottom_after.at(name), value), name);
  std::size_t moved = 0;
  for (const auto& [name, value] : values_of(encoder.encoder(), top))
    moved += bitwise_equal(top_before.at(name), value) ? 0 : 1;
  BOOST_TEST(moved == top_before.size());
  // The bottom did not change, so rebuilding the cache reproduces it exactly.
  encoder.refresh();
  for (index_t item = 0; item < encoder.num_items(); ++item)
    BOOST_TEST(bitwise_equal(encoder.cached(item), cache_before[static_cast<std::size_t>(item)]));
}

BOOST_AUTO_TEST_CASE(added_items_get_the_next_ids_and_the_same_vectors) {
  const std::vector<std::string> all = item_texts();
  const std::vector<std::string> first(all.begin(), all.begin() + 3);
  const std::vector<std::string> rest(all.begin() + 3, all.end());
  for (index_t k : {0, 1}) {
    ItemTextEncoder<double> whole = make_encoder(options(k), all);
    ItemTextEncoder<double> grown = make_encoder(options(k), first);
    const Tensor<double> before = grown.cached(2);
    BOOST_TEST(grown.num_items() == 3);
    grown.add_items(rest);
    BOOST_TEST(grown.num_items() == 5);
    BOOST_TEST(bitwise_equal(grown.cached(2), before));
    for (index_t item = 0; item < 5; ++item)
      require_close(grown.cached(item), whole.cached(item), 1e-12, "item " + std::to_string(item));
    require_close(grown.forward(ids({4, 3, 0})), whole.forward(ids({4, 3, 0})), 1e-12,
                  "forward k=" + std::to_string(k));
  }
}

BOOST_AUTO_TEST_CASE(refresh_follows_a_changed_encoder) {
  ItemTextEncoder<double> encoder = make_encoder(options(0, Pooling::cls));
  Bert<double> reference = tiny_bert();
  reference.eval();
  for (Bert<double>* bert : {&encoder.encoder(), &reference})
    for (double& w : bert->layer(1).output().weight().value) w *= 1.5;
  const Tensor<double> stale = encoder.cached(1);
  encoder.refresh();
  const Tensor<double> direct = reference.encode(single(item_texts()[1]), Pooling::cls);
  require_close(encoder.cached(1), direct.reshaped(Shape{8}), 1e-12, "refreshed");
  BOOST_TEST(!bitwise_equal(stale, encoder.cached(1)));
}

BOOST_AUTO_TEST_CASE(float_encoder_matches_double) {
  ItemTextEncoder<float> single_precision = make_encoder<float>(options(1, Pooling::mean, true));
  ItemTextEncoder<double> double_precision = make_encoder<double>(options(1, Pooling::mean, true));
  const Tensor<double> y = single_precision.forward(ids({0, 1, 2, 3, 4})).cast<double>();
  require_close(y, double_precision.forward(ids({0, 1, 2, 3, 4})), 1e-5, "float vs double");
}

BOOST_AUTO_TEST_CASE(item_ids_outside_the_catalogue_name_the_id) {
  for (index_t k : {0, 1}) {
    ItemTextEncoder<double> encoder = make_encoder(options(k));
    require_throw_naming<index_error>([&] { encoder.forward(ids({1, 5})); },
                                      {"item id 5", "position 1", "num_items = 5"});
    require_throw_naming<index_error>([&] { encoder.forward(ids({-1})); }, {"item id -1"});
    require_throw_naming<index_error>([&] { encoder.cached(7); }, {"item 7", "num_items = 5"});
  }
}

BOOST_AUTO_TEST_CASE(bad_options_name_the_option) {
  const auto build = [](ItemTextEncoderOptions o, Bert<double> bert = tiny_bert()) {
    Rng rng(1);
    ItemTextEncoder<double>(std::move(bert), tiny_tokenizer(), item_texts(), o, rng);
  };
  ItemTextEncoderOptions o = options(0);
  o.output_dim = 0;
  require_throw_naming<invalid_argument>([&] { build(o); }, {"output_dim", "0"});
  require_throw_naming<invalid_argument>([&] { build(options(3)); },
                                         {"fine_tune_top_layers 3", "[0, 2]"});
  o = options(0);
  o.max_length = 25;
  require_throw_naming<invalid_argument>([&] { build(o); }, {"max_length 25", "24"});
  o.max_length = 1;
  require_throw_naming<invalid_argument>([&] { build(o); }, {"max_length 1"});
  o = options(0);
  o.encode_batch = 0;
  require_throw_naming<invalid_argument>([&] { build(o); }, {"encode_batch"});
  Rng rng(2);
  require_throw_naming<invalid_argument>(
      [&] { build(options(0, Pooling::pooler), Bert<double>(tiny_config(), rng, false)); },
      {"pooler"});
}

BOOST_AUTO_TEST_CASE(bad_texts_and_mismatched_tokenizers_name_the_item) {
  Rng rng(1);
  require_throw_naming<invalid_argument>(
      [&] {
        ItemTextEncoder<double>(tiny_bert(), tiny_tokenizer(), {"Toy Story", "bad \xff byte"},
                                options(0), rng);
      },
      {"item 1"});
  // A model with a smaller vocabulary than the tokenizer's.
  BertConfig small = tiny_config();
  small.vocab_size = 10;
  require_throw_naming<index_error>(
      [&] {
        ItemTextEncoder<double>(Bert<double>(small, rng), tiny_tokenizer(), {"jedi"}, options(0),
                                rng);
      },
      {"item 0", "token id 12", "vocab_size 10"});
  // A rejected text leaves the catalogue as it was.
  ItemTextEncoder<double> encoder = make_encoder(options(1));
  BOOST_CHECK_THROW(encoder.add_items({"Jedi", "\xc3("}), invalid_argument);
  BOOST_TEST(encoder.num_items() == 5);
}

BOOST_AUTO_TEST_CASE(backward_checks_its_gradient_and_the_mode_of_the_forward) {
  ItemTextEncoder<double> encoder = make_encoder(options(1));
  encoder.forward(ids({0, 1}));
  require_throw_naming<shape_error>([&] { encoder.backward(Tensor<double>(Shape{3, 3})); },
                                    {"[3, 3]", "[2, 3]"});
  encoder.eval();
  encoder.forward(ids({0, 1}));
  require_throw_naming<error>([&] { encoder.backward(Tensor<double>(Shape{2, 3})); },
                              {"eval mode", "train(true)"});
}

BOOST_AUTO_TEST_SUITE_END()
