#include <adaptrec/layers/transformer_encoder_layer.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>
#include <support/random_tensor.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

using namespace adaptrec;
using adaptrec_test::random_tensor;
using backend::Activation;
using layers::TransformerEncoderLayer;
using layers::TransformerLayerOptions;

namespace {

using scalar_types = std::tuple<float, double>;

TransformerLayerOptions small_options(bool pre_layer_norm, Activation activation,
                                      double dropout = 0.0) {
  TransformerLayerOptions o;
  o.hidden = 8;
  o.heads = 2;
  o.intermediate = 12;
  o.activation = activation;
  o.layer_norm_eps = 1e-12;
  o.hidden_dropout = o.attention_dropout = dropout;
  o.pre_layer_norm = pre_layer_norm;
  return o;
}

template <class T>
struct WithMask {
  using scalar_type = T;
  TransformerEncoderLayer<T>& layer;
  Tensor<T> mask;
  Tensor<T> forward(const Tensor<T>& x) { return layer.forward(x, mask); }
  Tensor<T> backward(const Tensor<T>& dy) { return layer.backward(dy); }
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    layer.visit_parameters(f, prefix);
  }
};

template <class T>
Tensor<T> padding_mask(const std::vector<index_t>& lengths, index_t seq) {
  Tensor<T> m(Shape{static_cast<index_t>(lengths.size()), seq});
  for (index_t b = 0; b < m.dim(0); ++b)
    for (index_t j = 0; j < seq; ++j) m(b, j) = T(j < lengths[static_cast<std::size_t>(b)]);
  return m;
}

// The plain double formulas, one token row at a time.
double reference_activation(Activation a, double x) {
  const double pi = 3.14159265358979323846;
  switch (a) {
    case Activation::gelu: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case Activation::gelu_tanh:
      return 0.5 * x * (1 + std::tanh(std::sqrt(2 / pi) * (x + 0.044715 * x * x * x)));
    case Activation::relu: return x > 0 ? x : 0;
    default: BOOST_FAIL("no reference for " << backend::to_string(a));
  }
  return 0;
}

template <class T>
std::vector<double> layer_norm(const std::vector<double>& x, layers::LayerNorm<T>& ln) {
  const double n = double(x.size());
  double mean = 0, var = 0;
  for (double v : x) mean += v / n;
  for (double v : x) var += (v - mean) * (v - mean) / n;
  std::vector<double> y(x.size());
  for (std::size_t c = 0; c < x.size(); ++c)
    y[c] = (x[c] - mean) / std::sqrt(var + double(ln.eps())) * double(ln.weight().value[c]) +
           double(ln.bias().value[c]);
  return y;
}

template <class T>
std::vector<double> linear(const std::vector<double>& x, layers::Linear<T>& lin) {
  std::vector<double> y(static_cast<std::size_t>(lin.out_features()));
  for (index_t o = 0; o < lin.out_features(); ++o) {
    double s = double(lin.bias().value[o]);
    for (index_t c = 0; c < lin.in_features(); ++c)
      s += double(lin.weight().value(o, c)) * x[static_cast<std::size_t>(c)];
    y[static_cast<std::size_t>(o)] = s;
  }
  return y;
}

template <class T>
std::vector<double> feed_forward(const std::vector<double>& x, TransformerEncoderLayer<T>& layer) {
  std::vector<double> f = linear(x, layer.intermediate());
  for (double& v : f) v = reference_activation(layer.options().activation, v);
  return linear(f, layer.output());
}

std::vector<double> add(std::vector<double> a, const std::vector<double>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
  return a;
}

template <class T>
std::vector<double> row(const Tensor<T>& x, index_t r) {
  return std::vector<double>(x.data() + r * x.cols(), x.data() + (r + 1) * x.cols());
}

// The layer's equations (see the header) in double around its own attention
// sublayer, which tests/layers/multi_head_attention.cpp checks on its own.
template <class T>
Tensor<double> reference_layer(TransformerEncoderLayer<T>& layer, const Tensor<T>& x,
                               const Tensor<T>& mask) {
  const bool pre = layer.options().pre_layer_norm;
  Tensor<T> attention_input = x;
  if (pre)
    for (index_t r = 0; r < x.rows(); ++r) {
      const std::vector<double> n = layer_norm(row(x, r), layer.attention_layer_norm());
      for (index_t c = 0; c < x.cols(); ++c) attention_input[r * x.cols() + c] = T(n[c]);
    }
  const Tensor<T> attended = layer.attention().forward(attention_input, mask);
  Tensor<double> y(x.shape());
  for (index_t r = 0; r < x.rows(); ++r) {
    std::vector<double> h = add(row(x, r), row(attended, r)), out;
    if (pre) {
      out = add(h, feed_forward(layer_norm(h, layer.output_layer_norm()), layer));
    } else {
      h = layer_norm(h, layer.attention_layer_norm());
      out = layer_norm(add(h, feed_forward(h, layer)), layer.output_layer_norm());
    }
    std::copy(out.begin(), out.end(), y.data() + r * y.cols());
  }
  return y;
}

// Moves the layer norms off their identity initialisation so the checks see
// every parameter matter.
template <class T>
void perturb_layer_norms(TransformerEncoderLayer<T>& layer, Rng& rng) {
  for (layers::LayerNorm<T>* ln : {&layer.attention_layer_norm(), &layer.output_layer_norm()}) {
    fill_uniform(ln->weight().value, T(0.5), T(1.5), rng);
    fill_uniform(ln->bias().value, T(-0.5), T(0.5), rng);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(layers_transformer_encoder_layer)

BOOST_AUTO_TEST_CASE_TEMPLATE(forward_matches_double_reference, T, scalar_types) {
  const double tolerance = std::is_same_v<T, float> ? 1e-4 : 1e-10;
  Rng rng(1101);
  const Tensor<T> x = random_tensor<T>(Shape{3, 5, 8}, rng);
  const Tensor<T> mask = padding_mask<T>({5, 2, 4}, 5);
  for (bool pre : {false, true})
    for (Activation a : {Activation::gelu, Activation::gelu_tanh, Activation::relu}) {
      BOOST_TEST_CONTEXT((pre ? "pre-LN " : "post-LN ") << backend::to_string(a)) {
        TransformerEncoderLayer<T> layer(small_options(pre, a, 0.2), rng, 5);
        perturb_layer_norms(layer, rng);
        layer.eval();
        const Tensor<T> y = layer.forward(x, mask);
        BOOST_REQUIRE(y.shape() == x.shape());
        const Tensor<double> expected = reference_layer(layer, x, mask);
        for (index_t i = 0; i < y.size(); ++i)
          BOOST_TEST(std::abs(double(y[i]) - expected[i]) <= tolerance * (1 + std::abs(expected[i])),
                     "element " << i << ": " << y[i] << " vs " << expected[i]);
      }
    }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(1102);
  const Tensor<double> x = random_tensor<double>(Shape{2, 4, 8}, rng);
  const Tensor<double> mask = padding_mask<double>({4, 3}, 4);
  for (bool pre : {false, true})
    for (const Tensor<double>& m : {Tensor<double>(), mask}) {
      BOOST_TEST_CONTEXT((pre ? "pre-LN" : "post-LN") << ", mask " << m.shape()) {
        TransformerEncoderLayer<double> layer(
            small_options(pre, pre ? Activation::gelu_tanh : Activation::gelu), rng);
        perturb_layer_norms(layer, rng);
        WithMask<double> module{layer, m};
        adaptrec_test::check_module_gradients(module, x, rng);
      }
    }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences_with_dropout) {
  Rng rng(1103);
  const Tensor<double> x = random_tensor<double>(Shape{2, 4, 8}, rng);
  const Tensor<double> mask = padding_mask<double>({2, 4}, 4);
  for (bool pre : {false, true}) {
    BOOST_TEST_CONTEXT((pre ? "pre-LN" : "post-LN")) {
      TransformerEncoderLayer<double> layer(small_options(pre, Activation::gelu, 0.25), rng, 9);
      perturb_layer_norms(layer, rng);
      WithMask<double> module{layer, mask};
      adaptrec_test::check_module_gradients(module, x, rng, adaptrec_test::fd_tolerance,
                                            [&] { layer.reseed_dropout(31); });
    }
  }
}

BOOST_AUTO_TEST_CASE(dropout_is_seeded_and_off_in_eval) {
  Rng init_a(1104), init_b(1104), rng(1105);
  TransformerEncoderLayer<double> dropped(small_options(false, Activation::gelu, 0.3), init_a, 4);
  TransformerEncoderLayer<double> plain(small_options(false, Activation::gelu, 0.0), init_b);
  const Tensor<double> x = random_tensor<double>(Shape{2, 5, 8}, rng);
  const Tensor<double> mask = padding_mask<double>({5, 1}, 5);
  const Tensor<double> reference = plain.forward(x, mask);

  const Tensor<double> first = dropped.forward(x, mask);
  BOOST_TEST((first.to_vector() != reference.to_vector()));
  BOOST_TEST((dropped.forward(x, mask).to_vector() != first.to_vector()));
  dropped.reseed_dropout(4);
  BOOST_TEST(dropped.forward(x, mask).to_vector() == first.to_vector(),
             boost::test_tools::per_element());

  dropped.eval();
  BOOST_TEST(!dropped.attention().is_training());
  BOOST_TEST(!dropped.output_layer_norm().is_training());
  BOOST_TEST(dropped.forward(x, mask).to_vector() == reference.to_vector(),
             boost::test_tools::per_element());
  dropped.train();
  BOOST_TEST(dropped.attention().query().is_training());
}

BOOST_AUTO_TEST_CASE(frozen_parameters_get_no_gradient) {
  Rng rng(1106);
  const Tensor<double> x = random_tensor<double>(Shape{2, 3, 8}, rng);
  const Tensor<double> dy = random_tensor<double>(x.shape(), rng);
  const Tensor<double> mask = padding_mask<double>({3, 2}, 3);
  for (bool pre : {false, true}) {
    Rng init_a(1107), init_b(1107);
    TransformerEncoderLayer<double> frozen(small_options(pre, Activation::gelu), init_a);
    TransformerEncoderLayer<double> trainable(small_options(pre, Activation::gelu), init_b);
    set_trainable(frozen, false);
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
}

BOOST_AUTO_TEST_CASE(parameter_names_and_accessors_follow_hugging_face) {
  Rng rng(1108);
  TransformerEncoderLayer<float> layer(small_options(false, Activation::gelu), rng);
  std::vector<std::string> names;
  for (auto& p : collect_parameters(layer, "encoder.layer.0")) names.push_back(p.name);
  std::vector<std::string> expected;
  for (const char* n :
       {"attention.self.query.weight", "attention.self.query.bias", "attention.self.key.weight",
        "attention.self.key.bias", "attention.self.value.weight", "attention.self.value.bias",
        "attention.output.dense.weight", "attention.output.dense.bias",
        "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
        "intermediate.dense.weight", "intermediate.dense.bias", "output.dense.weight",
        "output.dense.bias", "output.LayerNorm.weight", "output.LayerNorm.bias"})
    expected.push_back(std::string("encoder.layer.0.") + n);
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  BOOST_TEST(layer.intermediate().weight().shape() == (Shape{12, 8}));
  BOOST_TEST(layer.output().weight().shape() == (Shape{8, 12}));
  BOOST_TEST(layer.attention().heads() == 2);
  BOOST_TEST(layer.attention_layer_norm().eps() == 1e-12f);
  BOOST_TEST(layer.options().intermediate == 12);
}

BOOST_AUTO_TEST_CASE(bad_options_and_shapes_are_named) {
  using adaptrec_test::require_throw_naming;
  Rng rng(1109);
  TransformerLayerOptions o = small_options(false, Activation::gelu);
  o.heads = 3;
  require_throw_naming<invalid_argument>([&] { TransformerEncoderLayer<float>(o, rng); },
                                         {"hidden=8", "heads=3"});
  o = small_options(false, Activation::gelu);
  o.intermediate = 0;
  require_throw_naming<invalid_argument>([&] { TransformerEncoderLayer<float>(o, rng); },
                                         {"intermediate=0"});
  o = small_options(false, Activation::gelu);
  o.hidden_dropout = 1.5;
  require_throw_naming<invalid_argument>([&] { TransformerEncoderLayer<float>(o, rng); },
                                         {"hidden_dropout", "1.5"});
  o = small_options(false, Activation::gelu);
  o.layer_norm_eps = -1;
  require_throw_naming<invalid_argument>([&] { TransformerEncoderLayer<float>(o, rng); },
                                         {"layer_norm_eps"});

  for (bool pre : {false, true}) {
    TransformerEncoderLayer<float> layer(small_options(pre, Activation::gelu), rng);
    const Tensor<float> x(Shape{2, 3, 8});
    require_throw_naming<shape_error>([&] { layer.forward(Tensor<float>(Shape{2, 3, 6}), {}); },
                                      {"TransformerEncoderLayer", "[2, 3, 6]", "hidden=8"});
    require_throw_naming<shape_error>([&] { layer.forward(Tensor<float>(Shape{3, 8}), {}); },
                                      {"[3, 8]"});
    require_throw_naming<shape_error>([&] { layer.forward(x, Tensor<float>(Shape{3, 2})); },
                                      {"key_mask", "[3, 2]"});
    layer.forward(x, {});
    require_throw_naming<shape_error>([&] { layer.backward(Tensor<float>(Shape{2, 3, 9})); },
                                      {"backward", "[2, 3, 9]", "[2, 3, 8]"});
  }
}

BOOST_AUTO_TEST_SUITE_END()
