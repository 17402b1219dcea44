#include <adaptrec/encoders/bert_embeddings.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>
#include <support/random_tensor.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using encoders::BertConfig;
using encoders::BertEmbeddings;

namespace {

BertConfig tiny_config(double dropout = 0.0) {
  BertConfig c;
  c.vocab_size = 11;
  c.hidden_size = 4;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.intermediate_size = 8;
  c.max_position_embeddings = 6;
  c.type_vocab_size = 2;
  c.layer_norm_eps = 1e-6;
  c.hidden_dropout_prob = dropout;
  c.initializer_range = 0.5;
  return c;
}

// Adapts the two-input forward to check_module_gradients' one input.
struct EmbeddingsOfIds {
  using scalar_type = double;
  BertEmbeddings<double>& embeddings;
  Tensor<index_t> token_types;
  Tensor<double> forward(const Tensor<index_t>& ids) {
    return embeddings.forward(ids, token_types);
  }
  Tensor<double> backward(const Tensor<double>& dy) { return embeddings.backward(dy); }
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    embeddings.visit_parameters(f, prefix);
  }
};

// Non-trivial layer-norm parameters, so their gradients are exercised.
void perturb_layer_norm(BertEmbeddings<double>& e, Rng& rng) {
  fill_uniform(e.layer_norm().weight().value, 0.5, 1.5, rng);
  fill_uniform(e.layer_norm().bias().value, -0.5, 0.5, rng);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_bert_embeddings)

BOOST_AUTO_TEST_CASE(parameter_names_are_hugging_face_ones) {
  Rng rng(1);
  BertEmbeddings<double> e(tiny_config(), rng);
  std::vector<std::string> names;
  e.visit_parameters([&](const std::string& n, Parameter<double>&) { names.push_back(n); },
                     "embeddings");
  BOOST_TEST((names == std::vector<std::string>{"embeddings.word_embeddings.weight",
                                                "embeddings.position_embeddings.weight",
                                                "embeddings.token_type_embeddings.weight",
                                                "embeddings.LayerNorm.weight",
                                                "embeddings.LayerNorm.bias"}));
  BOOST_TEST((e.word_embeddings().shape() == Shape{11, 4}));
  BOOST_TEST((e.position_embeddings().shape() == Shape{6, 4}));
  BOOST_TEST((e.token_type_embeddings().shape() == Shape{2, 4}));
  for (index_t c = 0; c < 4; ++c)
    BOOST_TEST(e.word_embeddings().value(0, c) == 0.0);  // padding row
}

BOOST_AUTO_TEST_CASE(forward_is_layer_norm_of_the_three_rows) {
  Rng rng(2);
  BertEmbeddings<double> e(tiny_config(), rng);
  perturb_layer_norm(e, rng);
  const Tensor<index_t> ids(Shape{2, 3}, {3, 7, 0, 10, 1, 2});
  const Tensor<index_t> types(Shape{2, 3}, {0, 0, 1, 1, 1, 0});
  const Tensor<double> y = e.forward(ids, types);
  BOOST_REQUIRE(y.shape() == (Shape{2, 3, 4}));
  const auto& gamma = e.layer_norm().weight().value;
  const auto& beta = e.layer_norm().bias().value;
  for (index_t b = 0; b < 2; ++b)
    for (index_t s = 0; s < 3; ++s) {
      double sum[4], mean = 0, var = 0;
      for (index_t c = 0; c < 4; ++c) {
        sum[c] = e.word_embeddings().value(ids(b, s), c) + e.position_embeddings().value(s, c) +
                 e.token_type_embeddings().value(types(b, s), c);
        mean += sum[c] / 4;
      }
      for (index_t c = 0; c < 4; ++c) var += (sum[c] - mean) * (sum[c] - mean) / 4;
      for (index_t c = 0; c < 4; ++c)
        BOOST_TEST(y(b, s, c) == (sum[c] - mean) / std::sqrt(var + 1e-6) * gamma[c] + beta[c],
                   boost::test_tools::tolerance(1e-12));
    }
  // Absent token types are all 0, as in Hugging Face.
  const Tensor<double> zero_types = e.forward(ids, Tensor<index_t>{});
  const Tensor<double> explicit_zero = e.forward(ids, Tensor<index_t>(Shape{2, 3}));
  BOOST_TEST(zero_types.to_vector() == explicit_zero.to_vector());
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(3);
  BertEmbeddings<double> e(tiny_config(), rng);
  perturb_layer_norm(e, rng);
  EmbeddingsOfIds adapter{e, Tensor<index_t>(Shape{2, 5}, {0, 1, 1, 0, 1, 1, 1, 0, 0, 0})};
  // No padding id (0) among them: its row gets no gradient by design (tested below).
  const Tensor<index_t> ids(Shape{2, 5}, {1, 4, 4, 9, 2, 3, 10, 5, 4, 1});
  adaptrec_test::check_module_gradients(adapter, ids, rng);
}

BOOST_AUTO_TEST_CASE(gradients_with_dropout_match_finite_differences) {
  Rng rng(4);
  BertEmbeddings<double> e(tiny_config(0.3), rng, 17);
  perturb_layer_norm(e, rng);
  EmbeddingsOfIds adapter{e, Tensor<index_t>(Shape{1, 4}, {0, 0, 1, 1})};
  adaptrec_test::check_module_gradients(adapter, Tensor<index_t>(Shape{1, 4}, {5, 6, 7, 5}), rng,
                                        adaptrec_test::fd_tolerance, [&] { e.reseed_dropout(99); });
}

BOOST_AUTO_TEST_CASE(padding_row_receives_no_gradient_and_rows_are_marked) {
  Rng rng(5);
  BertEmbeddings<double> e(tiny_config(), rng);
  const Tensor<index_t> ids(Shape{2, 3}, {0, 7, 0, 3, 7, 0});
  const Tensor<double> y = e.forward(ids, Tensor<index_t>{});
  const Tensor<double> dy = adaptrec_test::random_tensor<double>(y.shape(), rng);
  const Tensor<double> d_inputs = e.backward(dy);
  const auto& word = e.word_embeddings();
  for (index_t c = 0; c < 4; ++c) BOOST_TEST(word.grad(0, c) == 0.0);
  BOOST_TEST((word.touched_rows == std::vector<index_t>{3, 7}));
  BOOST_TEST((e.position_embeddings().touched_rows == std::vector<index_t>{0, 1, 2}));
  BOOST_TEST((e.token_type_embeddings().touched_rows == std::vector<index_t>{0}));
  // The returned gradient is per token; summed by id it is the table's.
  for (index_t c = 0; c < 4; ++c) {
    BOOST_TEST(word.grad(7, c) == d_inputs(0, 1, c) + d_inputs(1, 1, c),
               boost::test_tools::tolerance(1e-14));
    BOOST_TEST(word.grad(3, c) == d_inputs(1, 0, c), boost::test_tools::tolerance(1e-14));
  }
  zero_grad(e);
  for (double g : word.grad) BOOST_TEST(g == 0.0);
}

BOOST_AUTO_TEST_CASE(without_padding_id_every_row_learns) {
  Rng rng(6);
  BertConfig c = tiny_config();
  c.pad_token_id = std::nullopt;
  BertEmbeddings<double> e(c, rng);
  const Tensor<double> y = e.forward(Tensor<index_t>(Shape{1, 2}, {0, 0}), Tensor<index_t>{});
  e.backward(Tensor<double>::full(y.shape(), 1.0));
  BOOST_TEST((e.word_embeddings().touched_rows == std::vector<index_t>{0}));
}

BOOST_AUTO_TEST_CASE(frozen_tables_keep_zero_gradients) {
  Rng rng(7);
  BertEmbeddings<double> e(tiny_config(), rng);
  set_trainable(e, false);
  const Tensor<double> y = e.forward(Tensor<index_t>(Shape{1, 3}, {1, 2, 3}), Tensor<index_t>{});
  e.backward(Tensor<double>::full(y.shape(), 1.0));
  e.visit_parameters(
      [](const std::string& name, Parameter<double>& p) {
        for (double g : p.grad) BOOST_TEST(g == 0.0, name);
      },
      "");
}

BOOST_AUTO_TEST_CASE(eval_turns_dropout_off) {
  Rng rng(8);
  BertEmbeddings<double> e(tiny_config(0.5), rng, 3);
  const Tensor<index_t> ids(Shape{1, 4}, {1, 2, 3, 4});
  e.eval();
  const Tensor<double> a = e.forward(ids, Tensor<index_t>{});
  BOOST_TEST(a.to_vector() == e.forward(ids, Tensor<index_t>{}).to_vector());
  e.train();
  BOOST_TEST(a.to_vector() != e.forward(ids, Tensor<index_t>{}).to_vector());
}

BOOST_AUTO_TEST_CASE(out_of_range_ids_name_id_row_and_column) {
  Rng rng(9);
  BertEmbeddings<float> e(tiny_config(), rng);
  require_throw_naming<index_error>(
      [&] {
        e.forward(Tensor<index_t>(Shape{2, 3}, {1, 2, 3, 4, 5, 11}), Tensor<index_t>{});
      },
      {"input_ids[1, 2]", "11", "vocab_size"});
  require_throw_naming<index_error>(
      [&] {
        e.forward(Tensor<index_t>(Shape{1, 2}, {-1, 2}), Tensor<index_t>{});
      },
      {"input_ids[0, 0]", "-1"});
  require_throw_naming<index_error>(
      [&] {
        e.forward(Tensor<index_t>(Shape{1, 3}, {1, 2, 3}), Tensor<index_t>(Shape{1, 3}, {0, 2, 0}));
      },
      {"token_type_ids[0, 1]", "2", "type_vocab_size"});
  require_throw_naming<index_error>(
      [&] {
        e.forward(Tensor<index_t>(Shape{1, 7}), Tensor<index_t>{});
      },
      {"sequence length 7", "max_position_embeddings = 6"});
}

BOOST_AUTO_TEST_CASE(mismatched_shapes_are_named) {
  Rng rng(10);
  BertEmbeddings<float> e(tiny_config(), rng);
  require_throw_naming<shape_error>(
      [&] {
        e.forward(Tensor<index_t>(Shape{2, 3}), Tensor<index_t>(Shape{2, 4}));
      },
      {"token_type_ids", "[2, 4]", "[2, 3]"});
  require_throw_naming<shape_error>(
      [&] { e.forward(Tensor<index_t>(Shape{6}), Tensor<index_t>{}); }, {"input_ids", "[6]"});
  e.forward(Tensor<index_t>(Shape{2, 3}), Tensor<index_t>{});
  require_throw_naming<shape_error>(
      [&] {
        e.backward(Tensor<float>(Shape{2, 3, 5}));
      },
      {"BertEmbeddings::backward", "[2, 3, 5]"});
}

BOOST_AUTO_TEST_SUITE_END()
