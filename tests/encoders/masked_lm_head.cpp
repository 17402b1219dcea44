#include <adaptrec/encoders/masked_lm_head.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>
#include <support/random_tensor.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;

namespace {

encoders::BertConfig head_config(const std::string& activation = "gelu") {
  encoders::BertConfig c;
  c.vocab_size = 13;
  c.hidden_size = 6;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.intermediate_size = 8;
  c.hidden_act = activation;
  c.layer_norm_eps = 1e-5;
  c.initializer_range = 0.3;  // large enough that every term matters in the checks
  return c;
}

// The head with its tied decoder table, as one module for the gradient check:
// the table is what the word embeddings are in a whole model.
struct TiedHead {
  using scalar_type = double;
  using input_type = Tensor<double>;
  using output_type = Tensor<double>;

  TiedHead(const encoders::BertConfig& config, Rng& rng)
      : head(config, rng), decoder(Shape{config.vocab_size, config.hidden_size}) {
    fill_normal(decoder.value, 0.0, 0.5, rng);
    decoder.sparse = true;
    // Biases and layer-norm parameters away from their 0 / 1 start.
    head.visit_parameters(
        [&](const std::string&, Parameter<double>& p) {
          if (p.shape().rank() == 1) fill_uniform(p.value, -0.5, 0.5, rng);
          if (p.shape().rank() == 1 && p.size() == config.hidden_size) p.value[0] += 1.0;
        },
        "");
  }
  Tensor<double> forward(const Tensor<double>& x) { return head.forward(x, decoder); }
  Tensor<double> backward(const Tensor<double>& dy) { return head.backward(dy, decoder); }
  void train(bool on = true) { head.train(on); }
  bool is_training() const { return head.is_training(); }
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    head.visit_parameters(f, join_name(prefix, "cls.predictions"));
    f(join_name(prefix, "decoder"), decoder);
  }

  encoders::BertMaskedLMHead<double> head;
  Parameter<double> decoder;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_masked_lm_head)

BOOST_AUTO_TEST_CASE(forward_matches_the_definition) {
  Rng rng(1);
  const auto config = head_config("gelu_new");
  TiedHead tied(config, rng);
  const Tensor<double> x = adaptrec_test::random_tensor<double>(Shape{2, 3, 6}, rng);
  const Tensor<double> logits = tied.forward(x);
  BOOST_REQUIRE(logits.shape() == (Shape{2, 3, 13}));

  auto& head = tied.head;
  const index_t h = 6, v = 13;
  for (index_t r = 0; r < 6; ++r) {
    // dense -> gelu (tanh form) -> layer norm -> tied decoder + bias, in plain double.
    std::vector<double> t(h);
    for (index_t o = 0; o < h; ++o) {
      double z = head.dense().bias().value[o];
      for (index_t k = 0; k < h; ++k) z += head.dense().weight().value(o, k) * x[r * h + k];
      t[o] = 0.5 * z * (1 + std::tanh(std::sqrt(2 / M_PI) * (z + 0.044715 * z * z * z)));
    }
    double mean = 0, var = 0;
    for (double a : t) mean += a / h;
    for (double a : t) var += (a - mean) * (a - mean) / h;
    for (index_t o = 0; o < h; ++o)
      t[o] = (t[o] - mean) / std::sqrt(var + 1e-5) * head.layer_norm().weight().value[o] +
             head.layer_norm().bias().value[o];
    for (index_t c = 0; c < v; ++c) {
      double expected = head.bias().value[c];
      for (index_t k = 0; k < h; ++k) expected += t[k] * tied.decoder.value(c, k);
      BOOST_TEST(logits[r * v + c] == expected, boost::test_tools::tolerance(1e-12));
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences_including_the_tied_decoder) {
  for (const std::string activation : {"gelu", "gelu_new", "relu"}) {
    BOOST_TEST_CONTEXT("hidden_act " << activation) {
      Rng rng(2);
      TiedHead tied(head_config(activation), rng);
      const Tensor<double> x = adaptrec_test::random_tensor<double>(Shape{5, 6}, rng);
      adaptrec_test::check_module_gradients(tied, x, rng);
    }
  }
}

BOOST_AUTO_TEST_CASE(decoder_gradient_touches_every_row_and_accumulates) {
  Rng rng(3);
  TiedHead tied(head_config(), rng);
  const Tensor<double> x = adaptrec_test::random_tensor<double>(Shape{2, 6}, rng);
  const Tensor<double> dy = adaptrec_test::random_tensor<double>(Shape{2, 13}, rng);
  const index_t before_row = 4;
  tied.decoder.mark_touched_rows(&before_row, 1);
  tied.forward(x);
  tied.backward(dy);
  BOOST_TEST(tied.decoder.touched_rows.size() == 13u);
  for (std::size_t i = 0; i < tied.decoder.touched_rows.size(); ++i)
    BOOST_TEST(tied.decoder.touched_rows[i] == static_cast<index_t>(i));
  const Tensor<double> once = tied.decoder.grad;
  tied.forward(x);
  tied.backward(dy);
  for (index_t i = 0; i < once.size(); ++i)
    BOOST_TEST(tied.decoder.grad[i] == 2 * once[i], boost::test_tools::tolerance(1e-12));
  tied.decoder.zero_grad();
  for (double g : tied.decoder.grad) BOOST_TEST(g == 0.0);
}

BOOST_AUTO_TEST_CASE(frozen_decoder_and_bias_keep_their_gradients) {
  Rng rng(4);
  TiedHead tied(head_config(), rng);
  tied.decoder.trainable = false;
  tied.head.bias().trainable = false;
  tied.forward(adaptrec_test::random_tensor<double>(Shape{3, 6}, rng));
  tied.backward(adaptrec_test::random_tensor<double>(Shape{3, 13}, rng));
  for (double g : tied.decoder.grad) BOOST_TEST(g == 0.0);
  for (double g : tied.head.bias().grad) BOOST_TEST(g == 0.0);
  BOOST_TEST(tied.decoder.touched_rows.empty());
}

BOOST_AUTO_TEST_CASE(initialisation_and_names_follow_hugging_face) {
  auto config = head_config();
  config.hidden_size = 64;
  config.vocab_size = 100;
  config.initializer_range = 0.02;
  Rng rng(5);
  encoders::BertMaskedLMHead<double> head(config, rng);
  std::vector<std::string> names;
  head.visit_parameters([&](const std::string& name, Parameter<double>&) { names.push_back(name); },
                        "cls.predictions");
  BOOST_TEST(names == (std::vector<std::string>{"cls.predictions.transform.dense.weight",
                                                "cls.predictions.transform.dense.bias",
                                                "cls.predictions.transform.LayerNorm.weight",
                                                "cls.predictions.transform.LayerNorm.bias",
                                                "cls.predictions.bias"}),
             boost::test_tools::per_element());
  double sum = 0, squares = 0;
  for (double w : head.dense().weight().value) {
    sum += w;
    squares += w * w;
  }
  const double n = static_cast<double>(head.dense().weight().size());
  BOOST_TEST(std::abs(sum / n) < 0.002);
  BOOST_TEST(std::sqrt(squares / n) == 0.02, boost::test_tools::tolerance(0.05));
  for (double b : head.dense().bias().value) BOOST_TEST(b == 0.0);
  for (double g : head.layer_norm().weight().value) BOOST_TEST(g == 1.0);
  for (double b : head.layer_norm().bias().value) BOOST_TEST(b == 0.0);
  for (double b : head.bias().value) BOOST_TEST(b == 0.0);
}

BOOST_AUTO_TEST_CASE(bad_shapes_are_named) {
  Rng rng(6);
  TiedHead tied(head_config(), rng);
  require_throw_naming<shape_error>(
      [&] { tied.forward(Tensor<double>(Shape{2, 5})); }, {"BertMaskedLMHead", "[2, 5]", "6"});
  Parameter<double> wrong(Shape{12, 6});
  require_throw_naming<shape_error>(
      [&] { tied.head.forward(Tensor<double>(Shape{2, 6}), wrong); },
      {"decoder weight", "[12, 6]", "[13, 6]"});
  tied.forward(Tensor<double>(Shape{2, 6}));
  require_throw_naming<shape_error>([&] { tied.backward(Tensor<double>(Shape{3, 13})); },
                                    {"backward", "[3, 13]"});
  auto bad = head_config();
  bad.hidden_act = "swish";
  require_throw_naming<invalid_argument>([&] { encoders::BertMaskedLMHead<double>(bad, rng); },
                                         {"hidden_act", "swish"});
}

BOOST_AUTO_TEST_SUITE_END()
