// backend::packed_linear: GEMMs with a packed weight in fp32, bf16 and int8,
// and their fused epilogues, against a double-precision reference over the
// same rounded or quantized numbers, on every CPU backend.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <optional>
#include <support/cpu_backend.hpp>
#include <support/expect_throw.hpp>
#include <support/random_tensor.hpp>
#include <support/reference_epilogue.hpp>
#include <random>
#include <vector>

using namespace adaptrec;
using adaptrec_test::built_cpu_backends;
using adaptrec_test::CpuBackendScope;
using adaptrec_test::activate;
using adaptrec_test::bf16_reference;
using adaptrec_test::random_tensor;
using adaptrec_test::require_throw_naming;
using backend::Activation;
using backend::ActivationScaling;
using backend::Precision;

namespace {

// act(alpha * x W^T + bias) + residual in double, x [m, k] and W [n, k] given
// as the numbers the kernel is meant to multiply.
std::vector<double> reference(const std::vector<double>& x, const std::vector<double>& w, index_t m,
                              index_t n, index_t k, double alpha, const Tensor<float>* bias,
                              Activation act, const Tensor<float>* residual) {
  std::vector<double> y(static_cast<std::size_t>(m * n));
  for (index_t r = 0; r < m; ++r)
    for (index_t c = 0; c < n; ++c) {
      double sum = 0;
      for (index_t p = 0; p < k; ++p) sum += x[r * k + p] * w[c * k + p];
      double v = alpha * sum + (bias ? double((*bias)[c]) : 0.0);
      v = activate(act, v);
      y[r * n + c] = v + (residual ? double((*residual)[r * n + c]) : 0.0);
    }
  return y;
}

// max |got - want| / max |want|: the error relative to the result's scale.
double relative_error(const Tensor<float>& got, const std::vector<double>& want) {
  double worst = 0, scale = 0;
  for (index_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i])) return std::numeric_limits<double>::infinity();
    worst = std::max(worst, std::abs(double(got[i]) - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  return scale > 0 ? worst / scale : worst;
}

std::vector<double> as_double(const Tensor<float>& t) { return {t.data(), t.data() + t.size()}; }

// The numbers an int8 packed_linear multiplies: its own quantization of x
// and of the weight, dequantized exactly in double.
std::vector<double> dequantized_input(const Tensor<float>& x, const backend::PackedWeight<float>& w) {
  const index_t m = x.rows(), k = x.cols();
  std::vector<std::uint8_t> q(static_cast<std::size_t>(m * k));
  std::vector<float> scales(static_cast<std::size_t>(m)), zero_points(static_cast<std::size_t>(m));
  backend::cpu::quantize_int8_inputs(x.data(), m, k, w, q.data(), scales.data(), zero_points.data());
  std::vector<double> out(q.size());
  for (index_t i = 0; i < m * k; ++i)
    out[i] = (double(q[i]) - double(zero_points[i / k])) * double(scales[i / k]);
  return out;
}

std::vector<double> dequantized_weight(const backend::PackedWeight<float>& w) {
  std::vector<double> out(w.quantized().size());
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = double(w.quantized()[i]) * double(w.weight_scales()[i / w.in_features()]);
  return out;
}

struct Case {
  index_t m, n, k;
  bool bias;
  Activation act;
  bool residual;
  float alpha;
};

const std::vector<Case> cases = {
    {1, 1, 1, false, Activation::identity, false, 1.0f},
    {7, 5, 3, true, Activation::identity, false, 1.0f},
    {33, 67, 129, true, Activation::gelu, false, 1.0f},
    {64, 96, 64, true, Activation::gelu_tanh, true, 1.0f},
    {17, 257, 31, false, Activation::relu, true, 0.5f},
    {130, 40, 200, true, Activation::tanh, false, 2.0f},
    {9, 13, 384, true, Activation::sigmoid, true, 1.0f},
};

// Runs every case in `precision` on every backend; `numbers` gives the x and
// W the kernel should multiply, `exact_tol` bounds the error against those,
// `model_tol` against the unrounded float32 product.
template <class Numbers>
void check_cases(Precision precision, backend::Int8Options int8, Numbers numbers, double exact_tol,
                 double model_tol) {
  for (const auto b : built_cpu_backends()) {
    CpuBackendScope scope(b);
    Rng rng(11);
    for (const Case& c : cases) {
      const auto x = random_tensor<float>(Shape{c.m, c.k}, rng);
      const auto w = random_tensor<float>(Shape{c.n, c.k}, rng);
      const auto bias = random_tensor<float>(Shape{c.n}, rng);
      const auto residual = random_tensor<float>(Shape{c.m, c.n}, rng);
      if (int8.activations == ActivationScaling::calibrated)
        int8.calibrated_input_range = {{-1.0, 1.0}};  // the inputs' range
      const backend::PackedWeight<float> packed(w, precision, int8, "test.weight");
      Tensor<float> y(Shape{c.m, c.n});
      y.fill(std::numeric_limits<float>::quiet_NaN());  // an unwritten element fails
      const backend::LinearEpilogue<float> e{c.alpha, c.bias ? &bias : nullptr, c.act,
                                             c.residual ? &residual : nullptr};
      backend::packed_linear(x, packed, y, e);
      const auto [xn, wn] = numbers(x, w, packed);
      const auto want = reference(xn, wn, c.m, c.n, c.k, c.alpha, e.bias, c.act, e.residual);
      // Rounding's effect is judged on x W^T alone: a saturating activation
      // of large sums would hide it or magnify it.
      Tensor<float> product(Shape{c.m, c.n});
      backend::packed_linear(x, packed, product);
      const auto model = reference(as_double(x), as_double(w), c.m, c.n, c.k, 1.0, nullptr,
                                   Activation::identity, nullptr);
      BOOST_TEST_CONTEXT(backend::to_string(b) << " " << backend::to_string(precision) << " m=" << c.m
                                               << " n=" << c.n << " k=" << c.k << " act="
                                               << backend::to_string(c.act)) {
        BOOST_TEST(relative_error(y, want) < exact_tol);
        BOOST_TEST(relative_error(product, model) < model_tol);
      }
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(packed_linear)

BOOST_AUTO_TEST_CASE(bfloat16_rounding_matches_the_double_based_rounding) {
  Rng rng(3);
  std::vector<float> values = {0.0f, -0.0f, 1.0f, 1.00390625f, 1.01171875f, 3.0e38f, -3.4e38f,
                               1e-40f, std::numeric_limits<float>::infinity()};
  std::uniform_real_distribution<float> mantissa(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-130, 127);
  for (int i = 0; i < 20000; ++i) values.push_back(std::ldexp(mantissa(rng), exponent(rng)));
  for (float v : values)
    BOOST_TEST(backend::round_to_bfloat16(v) == float(bf16_reference(v)), "value " << v);
  BOOST_TEST(std::isnan(backend::round_to_bfloat16(std::numeric_limits<float>::quiet_NaN())));
}

BOOST_AUTO_TEST_CASE(fp32_matches_double_reference) {
  check_cases(
      Precision::fp32, {},
      [](const Tensor<float>& x, const Tensor<float>& w, const auto&) {
        return std::pair{as_double(x), as_double(w)};
      },
      1e-5, 1e-5);
}

BOOST_AUTO_TEST_CASE(bf16_multiplies_rounded_numbers_in_float32) {
  check_cases(
      Precision::bf16, {},
      [](const Tensor<float>& x, const Tensor<float>& w, const auto&) {
        std::vector<double> xr(x.size()), wr(w.size());
        for (index_t i = 0; i < x.size(); ++i) xr[i] = bf16_reference(x[i]);
        for (index_t i = 0; i < w.size(); ++i) wr[i] = bf16_reference(w[i]);
        return std::pair{xr, wr};
      },
      1e-5, 1e-2);
}

BOOST_AUTO_TEST_CASE(int8_per_token_per_tensor_and_calibrated) {
  for (const auto scaling :
       {ActivationScaling::per_token, ActivationScaling::per_tensor, ActivationScaling::calibrated})
    for (const int levels : {0, 63, 127})
      check_cases(
          Precision::int8, {.activations = scaling, .weight_levels = levels},
          [](const Tensor<float>& x, const Tensor<float>&, const backend::PackedWeight<float>& p) {
            return std::pair{dequantized_input(x, p), dequantized_weight(p)};
          },
          1e-5, 3e-2);
}

// Without VNNI, u8 x s8 pairs of 255 x 127 saturate oneDNN's int16 sums: the
// largest inputs against the largest weights must still come out exact.
BOOST_AUTO_TEST_CASE(int8_extremes_do_not_saturate) {
  for (const auto b : built_cpu_backends()) {
    CpuBackendScope scope(b);
    for (const int levels : {0, 127}) {
      const index_t m = 4, n = 8, k = 256;
      Tensor<float> x(Shape{m, k}), w(Shape{n, k});
      x.fill(1.0f);
      for (index_t i = 0; i < w.size(); ++i) w[i] = (i / k) % 2 ? -1.0f : 1.0f;
      const backend::PackedWeight<float> packed(w, Precision::int8,
                                                {.weight_levels = levels}, "extreme.weight");
      Tensor<float> y(Shape{m, n});
      backend::packed_linear(x, packed, y);
      for (index_t i = 0; i < y.size(); ++i)
        BOOST_TEST(std::abs(y[i] - ((i % n) % 2 ? -256.0f : 256.0f)) < 1e-3f,
                   backend::to_string(b) << " levels " << levels << " element " << i);
    }
  }
}

BOOST_AUTO_TEST_CASE(calibrated_inputs_beyond_the_range_are_clipped) {
  Tensor<float> w(Shape{1, 2});
  w.fill(1.0f);
  Tensor<float> x(Shape{1, 2});
  x[0] = 0.5f;
  x[1] = 4.0f;  // beyond the calibrated 1.0
  const backend::PackedWeight<float> packed(
      w, Precision::int8,
      {.activations = ActivationScaling::calibrated, .calibrated_input_range = {{-1.0, 1.0}}});
  for (const auto b : built_cpu_backends()) {
    CpuBackendScope scope(b);
    Tensor<float> y(Shape{1, 1});
    backend::packed_linear(x, packed, y);
    BOOST_TEST(std::abs(y[0] - 1.5f) < 0.02f, backend::to_string(b) << ": " << y[0]);
  }
}

// Values on one side of zero (after GELU, say) use all 256 uint8 levels with
// one scale per tensor or per calibration, not half of them.
BOOST_AUTO_TEST_CASE(one_sided_inputs_use_every_level) {
  Rng rng(3);
  Tensor<float> x(Shape{16, 64});
  fill_uniform(x, 0.0f, 3.0f, rng);
  const auto w = random_tensor<float>(Shape{4, 64}, rng);
  for (const backend::Int8Options& o :
       {backend::Int8Options{.activations = ActivationScaling::per_tensor},
        backend::Int8Options{.activations = ActivationScaling::calibrated,
                             .calibrated_input_range = {{0.0, 3.0}}}}) {
    const backend::PackedWeight<float> packed(w, Precision::int8, o, "one_sided.weight");
    const std::vector<double> xq = dequantized_input(x, packed);
    double worst = 0;
    for (index_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(xq[i] - double(x[i])));
    // Half a step of 3/255; a symmetric 127-level scale gives half of 3/127.
    BOOST_TEST(worst <= 0.5 * 3.0 / 255 * (1 + 1e-4), backend::to_string(o.activations) << ": " << worst);
  }
}

BOOST_AUTO_TEST_CASE(a_calibrated_range_must_be_given_and_finite) {
  Rng rng(2);
  const auto w = random_tensor<float>(Shape{3, 4}, rng);
  const auto make = [&](std::optional<backend::InputRange> range) {
    return backend::PackedWeight<float>(
        w, Precision::int8,
        {.activations = ActivationScaling::calibrated, .calibrated_input_range = range},
        "encoder.layer.1.value");
  };
  require_throw_naming<invalid_argument>([&] { make(std::nullopt); },
                                         {"encoder.layer.1.value", "calibrated_input_range"});
  require_throw_naming<invalid_argument>([&] { make(backend::InputRange{2.0, 1.0}); },
                                         {"encoder.layer.1.value", "low <= high"});
  require_throw_naming<invalid_argument>(
      [&] { make(backend::InputRange{0.0, std::numeric_limits<double>::infinity()}); },
      {"encoder.layer.1.value", "finite"});
  // All-zero inputs calibrate to an empty range; zeros still come out exact.
  const auto zero = make(backend::InputRange{0.0, 0.0});
  Tensor<float> x(Shape{2, 4}), y(Shape{2, 3});
  x.fill(0.0f);
  backend::packed_linear(x, zero, y);
  for (index_t i = 0; i < y.size(); ++i) BOOST_TEST(y[i] == 0.0f);
}

BOOST_AUTO_TEST_CASE(double_runs_on_the_reference_path) {
  Rng rng(5);
  const auto x = random_tensor<double>(Shape{6, 10}, rng);
  const auto w = random_tensor<double>(Shape{4, 10}, rng);
  const backend::PackedWeight<double> packed(w, Precision::bf16);
  Tensor<double> y(Shape{6, 4});
  backend::packed_linear(x, packed, y);
  for (index_t r = 0; r < 6; ++r)
    for (index_t c = 0; c < 4; ++c) {
      double sum = 0;
      for (index_t p = 0; p < 10; ++p) sum += bf16_reference(float(x[r * 10 + p])) * bf16_reference(float(w[c * 10 + p]));
      BOOST_TEST(std::abs(y[r * 4 + c] - sum) < 1e-12);
    }
}

BOOST_AUTO_TEST_CASE(bad_inputs_name_the_weight_and_shapes) {
  Rng rng(1);
  const auto w = random_tensor<float>(Shape{3, 4}, rng);
  const backend::PackedWeight<float> packed(w, Precision::int8, {}, "encoder.layer.0.query");
  Tensor<float> y(Shape{2, 3});
  require_throw_naming<shape_error>([&] { backend::packed_linear(random_tensor<float>(Shape{2, 5}, rng), packed, y); }, {"encoder.layer.0.query"});
  auto x = random_tensor<float>(Shape{2, 4}, rng);
  x[5] = std::numeric_limits<float>::quiet_NaN();
  for (const auto b : built_cpu_backends()) {
    CpuBackendScope scope(b);
    require_throw_naming<invalid_argument>([&] { backend::packed_linear(x, packed, y); }, {"encoder.layer.0.query holds NaN"});
  }
  require_throw_naming<shape_error>([&] { backend::PackedWeight<float>(random_tensor<float>(Shape{3}, rng), Precision::bf16); }, {"[3]"});
  const backend::PackedWeight<float> empty;
  require_throw_naming<invalid_argument>([&] { backend::packed_linear(x, empty, y); }, {"not packed"});
}

// NaN or infinity anywhere, in a matrix large enough for the parallel
// passes, is refused under every activation scaling and on every backend,
// and so is a weight holding one.
BOOST_AUTO_TEST_CASE(non_finite_values_are_refused_under_every_scaling) {
  Rng rng(2);
  const auto w = random_tensor<float>(Shape{8, 64}, rng);
  const float bad[] = {std::numeric_limits<float>::quiet_NaN(),
                       std::numeric_limits<float>::infinity(),
                       -std::numeric_limits<float>::infinity()};
  for (const auto options :
       {backend::Int8Options{.activations = ActivationScaling::per_token},
        backend::Int8Options{.activations = ActivationScaling::per_tensor},
        backend::Int8Options{.activations = ActivationScaling::calibrated,
                             .calibrated_input_range = {{-2.0, 2.0}}}}) {
    const backend::PackedWeight<float> packed(w, Precision::int8, options, "ffn.out");
    for (const float value : bad)
      for (const index_t at : {index_t{0}, index_t{1000 * 64 - 1}}) {
        auto x = random_tensor<float>(Shape{1000, 64}, rng);
        x[at] = value;
        Tensor<float> y(Shape{1000, 8});
        for (const auto b : built_cpu_backends()) {
          CpuBackendScope scope(b);
          BOOST_TEST_CONTEXT(backend::to_string(b) << " value " << value << " at " << at) {
            require_throw_naming<invalid_argument>([&] { backend::packed_linear(x, packed, y); },
                                                   {"ffn.out holds NaN or infinity"});
          }
        }
      }
  }
  auto bad_w = random_tensor<float>(Shape{300, 200}, rng);
  bad_w[299 * 200 + 7] = std::numeric_limits<float>::quiet_NaN();
  require_throw_naming<invalid_argument>(
      [&] { backend::PackedWeight<float>(bad_w, Precision::int8, {}, "query"); }, {"NaN"});
  const auto range = backend::finite_range(w.data(), w.size(), "w");
  BOOST_TEST(range.first <= 0.0f);
  BOOST_TEST(range.second >= 0.0f);
  BOOST_TEST(range.first == *std::min_element(w.begin(), w.end()));
  BOOST_TEST(range.second == *std::max_element(w.begin(), w.end()));
}

BOOST_AUTO_TEST_CASE(precision_names_parse) {
  BOOST_TEST((backend::parse_precision("bf16", "--precision") == Precision::bf16));
  BOOST_TEST((backend::parse_precision("int8", "--precision") == Precision::int8));
  require_throw_naming<invalid_argument>([&] { backend::parse_precision("fp16", "--precision"); }, {"--precision is 'fp16'"});
}

BOOST_AUTO_TEST_SUITE_END()
