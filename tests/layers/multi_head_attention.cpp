#include <adaptrec/layers/multi_head_attention.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>
#include <support/random_tensor.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

using namespace adaptrec;
using adaptrec_test::random_tensor;
using layers::Linear;
using layers::MultiHeadSelfAttention;

namespace {

using scalar_types = std::tuple<float, double>;

// The one-input module interface check_module_gradients drives, with the key
// mask held fixed.
template <class T>
struct WithMask {
  using scalar_type = T;
  MultiHeadSelfAttention<T>& attention;
  Tensor<T> mask;
  Tensor<T> forward(const Tensor<T>& x) { return attention.forward(x, mask); }
  Tensor<T> backward(const Tensor<T>& dy) { return attention.backward(dy); }
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    attention.visit_parameters(f, prefix);
  }
};

// [B, S] with 1 for the first lengths[b] positions of row b and 0 after.
template <class T>
Tensor<T> padding_mask(const std::vector<index_t>& lengths, index_t seq) {
  Tensor<T> m(Shape{static_cast<index_t>(lengths.size()), seq});
  for (index_t b = 0; b < m.dim(0); ++b)
    for (index_t j = 0; j < seq; ++j) m(b, j) = T(j < lengths[static_cast<std::size_t>(b)]);
  return m;
}

// y = x W^T + b for one token, in double.
template <class T>
std::vector<double> project(Linear<T>& layer, const Tensor<T>& x, index_t b, index_t i) {
  const index_t in = layer.in_features(), out = layer.out_features();
  std::vector<double> y(static_cast<std::size_t>(out));
  for (index_t o = 0; o < out; ++o) {
    double s = double(layer.bias().value[o]);
    for (index_t c = 0; c < in; ++c) s += double(layer.weight().value(o, c)) * double(x(b, i, c));
    y[static_cast<std::size_t>(o)] = s;
  }
  return y;
}

// Multi-head self-attention written out with loops in double (Vaswani et al.,
// 2017, sec. 3.2.2): per head, softmax over unmasked keys of q.k / sqrt(d),
// weighted sum of values, heads concatenated, output projection.
template <class T>
Tensor<double> reference_attention(MultiHeadSelfAttention<T>& mha, const Tensor<T>& x,
                                   const Tensor<T>& mask) {
  const index_t batch = x.dim(0), seq = x.dim(1), hidden = mha.hidden(), d = mha.head_dim();
  Tensor<double> y(Shape{batch, seq, hidden});
  for (index_t b = 0; b < batch; ++b) {
    std::vector<std::vector<double>> q, k, v;
    for (index_t i = 0; i < seq; ++i) {
      q.push_back(project(mha.query(), x, b, i));
      k.push_back(project(mha.key(), x, b, i));
      v.push_back(project(mha.value(), x, b, i));
    }
    for (index_t i = 0; i < seq; ++i) {
      std::vector<double> concat(static_cast<std::size_t>(hidden), 0.0);
      for (index_t h = 0; h < mha.heads(); ++h) {
        std::vector<double> w(static_cast<std::size_t>(seq), 0.0);
        double max = -std::numeric_limits<double>::infinity(), sum = 0;
        for (index_t j = 0; j < seq; ++j) {
          if (!mask.empty() && mask(b, j) == T(0)) continue;
          double dot = 0;
          for (index_t c = h * d; c < (h + 1) * d; ++c) dot += q[i][c] * k[j][c];
          w[j] = dot / std::sqrt(double(d));
          max = std::max(max, w[j]);
        }
        for (index_t j = 0; j < seq; ++j)
          if (mask.empty() || mask(b, j) != T(0)) sum += w[j] = std::exp(w[j] - max);
        for (index_t j = 0; j < seq; ++j) {
          if (!mask.empty() && mask(b, j) == T(0)) continue;
          for (index_t c = h * d; c < (h + 1) * d; ++c) concat[c] += w[j] / sum * v[j][c];
        }
      }
      Linear<T>& out = mha.output();
      for (index_t o = 0; o < hidden; ++o) {
        double s = double(out.bias().value[o]);
        for (index_t c = 0; c < hidden; ++c) s += double(out.weight().value(o, c)) * concat[c];
        y(b, i, o) = s;
      }
    }
  }
  return y;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(layers_multi_head_attention)

BOOST_AUTO_TEST_CASE_TEMPLATE(forward_matches_double_reference, T, scalar_types) {
  const double tolerance = std::is_same_v<T, float> ? 2e-5 : 1e-12;
  Rng rng(1001);
  MultiHeadSelfAttention<T> mha(12, 3, rng);
  BOOST_TEST(mha.head_dim() == 4);
  const Tensor<T> x = random_tensor<T>(Shape{3, 5, 12}, rng);
  for (const Tensor<T>& mask : {Tensor<T>(), padding_mask<T>({5, 3, 1}, 5)}) {
    BOOST_TEST_CONTEXT("mask " << mask.shape()) {
      const Tensor<T> y = mha.forward(x, mask);
      BOOST_REQUIRE(y.shape() == x.shape());
      const Tensor<double> expected = reference_attention(mha, x, mask);
      for (index_t i = 0; i < y.size(); ++i)
        BOOST_TEST(std::abs(double(y[i]) - expected[i]) <= tolerance * (1 + std::abs(expected[i])));
    }
  }
}

BOOST_AUTO_TEST_CASE(padded_tokens_do_not_reach_real_ones) {
  Rng rng(1002);
  MultiHeadSelfAttention<double> mha(8, 2, rng);
  const Tensor<double> mask = padding_mask<double>({4, 2}, 4);
  Tensor<double> x = random_tensor<double>(Shape{2, 4, 8}, rng);
  const Tensor<double> before = mha.forward(x, mask);
  for (index_t c = 0; c < 8; ++c) x(1, 2, c) = x(1, 3, c) = 100.0 * double(c);
  const Tensor<double> after = mha.forward(x, mask);
  for (index_t b = 0; b < 2; ++b)
    for (index_t i = 0; i < (b == 0 ? 4 : 2); ++i)
      for (index_t c = 0; c < 8; ++c) BOOST_TEST(after(b, i, c) == before(b, i, c));
}

BOOST_AUTO_TEST_CASE(fully_padded_sequence_gives_the_output_bias_not_nan) {
  Rng rng(1003);
  MultiHeadSelfAttention<float> mha(8, 4, rng);
  const Tensor<float> mask = padding_mask<float>({3, 0}, 3);
  const Tensor<float> x = random_tensor<float>(Shape{2, 3, 8}, rng);
  const Tensor<float> y = mha.forward(x, mask);
  for (float v : y) BOOST_TEST(std::isfinite(v));
  for (index_t i = 0; i < 3; ++i)
    for (index_t c = 0; c < 8; ++c) BOOST_TEST(y(1, i, c) == mha.output().bias().value[c]);
  const Tensor<float> dx = mha.backward(Tensor<float>::full(y.shape(), 1.0f));
  for (float v : dx) BOOST_TEST(std::isfinite(v));
  for (index_t i = 0; i < 3; ++i)
    for (index_t c = 0; c < 8; ++c) BOOST_TEST(dx(1, i, c) == 0.0f);
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(1004);
  MultiHeadSelfAttention<double> mha(8, 2, rng);
  const Tensor<double> x = random_tensor<double>(Shape{2, 4, 8}, rng);
  for (const Tensor<double>& mask : {Tensor<double>(), padding_mask<double>({4, 2}, 4)}) {
    BOOST_TEST_CONTEXT("mask " << mask.shape()) {
      WithMask<double> module{mha, mask};
      adaptrec_test::check_module_gradients(module, x, rng);
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences_with_dropout) {
  Rng rng(1005);
  MultiHeadSelfAttention<double> mha(8, 2, rng, /*attention_dropout=*/0.3, /*seed=*/11);
  const Tensor<double> x = random_tensor<double>(Shape{2, 4, 8}, rng);
  WithMask<double> module{mha, padding_mask<double>({3, 4}, 4)};
  adaptrec_test::check_module_gradients(module, x, rng, adaptrec_test::fd_tolerance,
                                        [&] { mha.reseed_dropout(17); });
}

BOOST_AUTO_TEST_CASE(dropout_is_seeded_and_off_in_eval) {
  Rng init_a(1006), init_b(1006), rng(1007);
  MultiHeadSelfAttention<double> dropped(8, 2, init_a, 0.5, 21), plain(8, 2, init_b);
  const Tensor<double> x = random_tensor<double>(Shape{2, 5, 8}, rng);
  const Tensor<double> mask = padding_mask<double>({5, 3}, 5);
  const Tensor<double> reference = plain.forward(x, mask);

  const Tensor<double> first = dropped.forward(x, mask);
  BOOST_TEST((first.to_vector() != reference.to_vector()));
  BOOST_TEST((dropped.forward(x, mask).to_vector() != first.to_vector()));
  dropped.reseed_dropout(21);
  BOOST_TEST(dropped.forward(x, mask).to_vector() == first.to_vector(),
             boost::test_tools::per_element());

  dropped.eval();
  BOOST_TEST(!dropped.is_training());
  BOOST_TEST(!dropped.query().is_training());
  BOOST_TEST(dropped.forward(x, mask).to_vector() == reference.to_vector(),
             boost::test_tools::per_element());
  dropped.train();
  BOOST_TEST(dropped.output().is_training());
}

BOOST_AUTO_TEST_CASE(frozen_parameters_get_no_gradient) {
  Rng init_a(1008), init_b(1008), rng(1009);
  MultiHeadSelfAttention<double> frozen(8, 2, init_a), trainable(8, 2, init_b);
  set_trainable(frozen, false);
  const Tensor<double> x = random_tensor<double>(Shape{2, 3, 8}, rng);
  const Tensor<double> dy = random_tensor<double>(x.shape(), rng);
  const Tensor<double> mask = padding_mask<double>({3, 2}, 3);
  frozen.forward(x, mask);
  trainable.forward(x, mask);
  const Tensor<double> dx_frozen = frozen.backward(dy), dx = trainable.backward(dy);
  BOOST_TEST(dx_frozen.to_vector() == dx.to_vector(), boost::test_tools::per_element());
  frozen.visit_parameters(
      [](const std::string& name, Parameter<double>& p) {
        for (double g : p.grad) BOOST_TEST(g == 0.0, name);
      },
      "");
}

BOOST_AUTO_TEST_CASE(parameter_names_follow_hugging_face) {
  Rng rng(1010);
  MultiHeadSelfAttention<float> mha(8, 2, rng);
  std::vector<std::string> names;
  for (auto& p : collect_parameters(mha, "attention")) names.push_back(p.name);
  const std::vector<std::string> expected = {
      "attention.self.query.weight", "attention.self.query.bias",  "attention.self.key.weight",
      "attention.self.key.bias",     "attention.self.value.weight", "attention.self.value.bias",
      "attention.output.dense.weight", "attention.output.dense.bias"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  BOOST_TEST(count_parameters(mha).total == 4u * (64 + 8));
}

BOOST_AUTO_TEST_CASE(bad_arguments_name_shapes_and_values) {
  using adaptrec_test::require_throw_naming;
  Rng rng(1011);
  require_throw_naming<invalid_argument>([&] { MultiHeadSelfAttention<float>(10, 3, rng); },
                                         {"hidden=10", "heads=3"});
  require_throw_naming<invalid_argument>([&] { MultiHeadSelfAttention<float>(8, 0, rng); },
                                         {"heads=0"});
  require_throw_naming<invalid_argument>(
      [&] { MultiHeadSelfAttention<float>(8, 2, rng, 1.0f); }, {"attention_dropout", "1.0"});

  MultiHeadSelfAttention<float> mha(8, 2, rng);
  const Tensor<float> x(Shape{2, 3, 8});
  require_throw_naming<shape_error>([&] { mha.forward(Tensor<float>(Shape{6, 8}), {}); },
                                    {"MultiHeadSelfAttention", "[6, 8]"});
  require_throw_naming<shape_error>([&] { mha.forward(Tensor<float>(Shape{2, 3, 7}), {}); },
                                    {"[2, 3, 7]", "hidden=8"});
  require_throw_naming<shape_error>([&] { mha.forward(x, Tensor<float>(Shape{2, 4})); },
                                    {"key_mask", "[2, 4]", "[2, 3, 8]"});
  require_throw_naming<shape_error>([&] { mha.forward(x, Tensor<float>(Shape{2, 3, 1})); },
                                    {"key_mask", "[2, 3, 1]"});
  Tensor<float> additive = padding_mask<float>({3, 2}, 3);
  additive(1, 2) = -10000.0f;
  require_throw_naming<invalid_argument>([&] { mha.forward(x, additive); },
                                         {"key_mask[1, 2]", "-10000"});
  require_throw_naming<shape_error>([&] { mha.backward(x); }, {"backward", "[2, 3, 8]"});
  mha.forward(x, {});
  require_throw_naming<shape_error>([&] { mha.backward(Tensor<float>(Shape{2, 4, 8})); },
                                    {"backward", "[2, 4, 8]", "[2, 3, 8]"});
}

// dx_sum + dx, also when dx_sum is dy itself (a residual connection).
BOOST_AUTO_TEST_CASE(backward_accumulate_adds_to_the_running_sum_even_in_place) {
  Rng rng(1010);
  MultiHeadSelfAttention<double> mha(8, 2, rng);
  const Tensor<double> x = random_tensor<double>(Shape{2, 4, 8}, rng);
  const Tensor<double> dy = random_tensor<double>(Shape{2, 4, 8}, rng);
  const Tensor<double> sum = random_tensor<double>(Shape{2, 4, 8}, rng);
  mha.forward(x, padding_mask<double>({4, 3}, 4));
  const Tensor<double> dx = mha.backward(dy);
  Tensor<double> total = sum, in_place = dy;
  mha.backward_accumulate(dy, total);
  mha.backward_accumulate(in_place, in_place);
  for (index_t i = 0; i < dx.size(); ++i) {
    BOOST_TEST(total[i] == sum[i] + dx[i], boost::test_tools::tolerance(1e-12));
    BOOST_TEST(in_place[i] == dy[i] + dx[i], boost::test_tools::tolerance(1e-12));
  }
  Tensor<double> wrong(Shape{2, 4, 6});
  BOOST_CHECK_THROW(mha.backward_accumulate(dy, wrong), shape_error);
}

BOOST_AUTO_TEST_SUITE_END()
