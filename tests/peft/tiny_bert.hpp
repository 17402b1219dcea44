#pragma once
// A BERT small enough for finite-difference checks of the PEFT methods, and a
// padded batch to run it on.
#include <adaptrec/encoders/bert.hpp>

#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <functional>

#include <string>

namespace adaptrec_test {

// hidden 8, 2 layers, 2 heads.
inline adaptrec::encoders::BertConfig tiny_bert_config(double dropout = 0.0) {
  adaptrec::encoders::BertConfig c;
  c.vocab_size = 13;
  c.hidden_size = 8;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.intermediate_size = 12;
  c.max_position_embeddings = 12;
  c.type_vocab_size = 2;
  c.layer_norm_eps = 1e-6;
  c.hidden_dropout_prob = dropout;
  c.attention_probs_dropout_prob = dropout;
  c.initializer_range = 0.4;  // larger than BERT's 0.02, so no term is negligible
  return c;
}

// Two sequences; the second is padded (id 0) at its last two positions.
inline adaptrec::text::TokenBatch tiny_padded_batch() {
  using adaptrec::index_t;
  using adaptrec::Shape;
  using adaptrec::Tensor;
  adaptrec::text::TokenBatch batch;
  batch.input_ids = Tensor<index_t>(Shape{2, 5}, {2, 5, 3, 9, 3, 2, 7, 3, 0, 0});
  batch.token_type_ids = Tensor<index_t>(Shape{2, 5}, {0, 0, 0, 1, 1, 0, 0, 0, 0, 0});
  batch.attention_mask = Tensor<index_t>(Shape{2, 5}, {1, 1, 1, 1, 1, 1, 1, 1, 0, 0});
  return batch;
}

// Every parameter of `model` whose value is not bitwise equal to `before`'s.
template <class M>
std::vector<std::string> changed_parameters(M& model, M& before) {
  std::vector<std::string> changed;
  auto a = adaptrec::collect_parameters(model);
  auto b = adaptrec::collect_parameters(before);
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (a[i].parameter->value.to_vector() != b[i].parameter->value.to_vector())
      changed.push_back(a[i].name);
  return changed;
}

// Finite differences of L = <run(), r> for every trainable parameter of
// `model`, against the gradients its backward(r) accumulates.
template <class M>
void check_trainable_gradients(M& model, const std::function<adaptrec::Tensor<double>()>& run,
                               adaptrec::Rng& rng) {
  using adaptrec::Tensor;
  Tensor<double> y = run();
  Tensor<double> r(y.shape());
  adaptrec::fill_uniform(r, -1.0, 1.0, rng);
  adaptrec::zero_grad(model);
  run();
  model.backward(r);
  std::size_t checked = 0;
  model.visit_parameters(
      [&](const std::string& name, adaptrec::Parameter<double>& p) {
        if (!p.trainable) return;
        const Tensor<double> analytic = p.grad;
        const Tensor<double> numeric = numeric_gradient(p.value, [&] { return inner(run(), r); });
        compare(analytic, numeric, name);
        ++checked;
      },
      "");
  BOOST_TEST(checked > 0u);
}

}  // namespace adaptrec_test
