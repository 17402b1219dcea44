// backend::gemm on a GemmProblem: plain, transposed, strided and batched
// (broadcast operands included), with every epilogue, in float32 and bf16,
// against a double-precision reference on every CPU backend. Outputs are
// NaN-poisoned where the call must write and fenced with a sentinel where it
// must not (the gaps a leading dimension or batch stride leaves).
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <support/cpu_backend.hpp>
#include <support/expect_throw.hpp>
#include <support/random_tensor.hpp>
#include <support/reference_epilogue.hpp>
#include <vector>

using namespace adaptrec;
using adaptrec_test::activate;
using adaptrec_test::bf16_reference;
using adaptrec_test::built_cpu_backends;
using adaptrec_test::CpuBackendScope;
using adaptrec_test::random_tensor;
using adaptrec_test::require_throw_naming;
using backend::Activation;
using backend::GemmProblem;
using backend::Precision;
using backend::Trans;

namespace {

struct Case {
  index_t m, n, k, batch;
  bool trans_a, trans_b;
  index_t pad;           // extra elements per row and between batch entries
  bool share_a, share_b; // batch stride 0
  float alpha, beta;
  bool bias;
  Activation act;
  bool residual;
};

const std::vector<Case> cases = {
    {1, 1, 1, 1, false, false, 0, false, false, 1.0f, 0.0f, false, Activation::identity, false},
    {3, 5, 7, 1, false, true, 0, false, false, 1.0f, 0.0f, true, Activation::identity, false},
    {17, 33, 65, 1, true, false, 3, false, false, 0.5f, 0.0f, true, Activation::gelu, false},
    {64, 48, 96, 1, true, true, 1, false, false, 1.0f, 0.75f, false, Activation::relu, true},
    {9, 13, 31, 4, false, false, 2, false, false, 2.0f, 0.0f, true, Activation::gelu_tanh, true},
    {12, 7, 20, 3, false, true, 5, true, false, 1.0f, 1.0f, true, Activation::tanh, false},
    {5, 24, 16, 6, true, false, 0, false, true, 1.0f, 0.0f, false, Activation::sigmoid, true},
    {31, 17, 0, 2, false, false, 1, false, false, 1.0f, 0.5f, true, Activation::relu, true},
    {128, 64, 32, 8, false, true, 0, false, false, 0.125f, 0.0f, false, Activation::identity,
     false},
    {40, 24, 33, 1, false, false, 4, false, false, 1.0f, 0.0f, true, Activation::relu, true},
    {16, 32, 24, 4, false, true, 0, false, false, 1.0f, 0.5f, true, Activation::gelu, true},
    {16, 32, 24, 4, true, false, 0, true, false, 1.0f, 0.0f, true, Activation::identity, true},
    {12, 7, 20, 3, false, false, 5, false, false, 1.0f, 0.0f, true, Activation::identity, false},
};

// Memory for one operand: `count` matrices of rows x (cols + pad) plus a gap.
template <class T>
struct Operand {
  index_t rows, cols, ld, stride;
  std::vector<T> data;
  Operand(index_t r, index_t c, index_t pad, index_t batch, bool shared, Rng& rng)
      : rows(r), cols(c), ld(c + pad), stride(shared ? 0 : r * (c + pad) + pad) {
    const index_t count = shared ? 1 : batch;
    data.resize(static_cast<std::size_t>(std::max<index_t>(count * rows * ld + count * pad, 1)));
    std::uniform_real_distribution<double> u(-1, 1);
    for (auto& v : data) v = T(u(rng));
  }
  double at(index_t b, index_t i, index_t j, bool trans) const {
    const index_t r = trans ? j : i, c = trans ? i : j;
    return double(data[static_cast<std::size_t>(b * stride + r * ld + c)]);
  }
};

constexpr float sentinel = 12345.0f;

template <class T>
struct Outcome {
  double exact_error = 0;  // against the numbers the kernel should multiply
  double model_error = 0;  // against the unrounded operands
  bool fence_intact = true;
};

// Runs one case and compares every written element with the reference.
template <class T>
Outcome<T> run(const Case& cs, Precision precision, Rng& rng) {
  const index_t m = cs.m, n = cs.n, k = cs.k, batch = cs.batch;
  Operand<T> a(cs.trans_a ? k : m, cs.trans_a ? m : k, cs.pad, batch, cs.share_a, rng);
  Operand<T> b(cs.trans_b ? n : k, cs.trans_b ? k : n, cs.pad, batch, cs.share_b, rng);
  Operand<T> c(m, n, cs.pad, batch, false, rng);
  Operand<T> r(m, n, cs.pad + 1, batch, false, rng);
  std::vector<T> bias(static_cast<std::size_t>(n));
  for (index_t j = 0; j < n; ++j) bias[j] = T(0.1 * double(j % 7) - 0.3);
  const std::vector<T> c0 = c.data;
  std::vector<bool> written(c.data.size(), false);
  for (index_t e = 0; e < batch; ++e)
    for (index_t i = 0; i < m; ++i)
      for (index_t j = 0; j < n; ++j)
        written[static_cast<std::size_t>(e * c.stride + i * c.ld + j)] = true;
  for (std::size_t i = 0; i < c.data.size(); ++i)
    c.data[i] = !written[i] ? T(sentinel)
                : cs.beta == 0.0f ? std::numeric_limits<T>::quiet_NaN()
                                  : c0[i];

  GemmProblem<T> p;
  p.m = m, p.n = n, p.k = k, p.batch = batch;
  p.a = a.data.data(), p.lda = a.ld, p.stride_a = a.stride, p.trans_a = cs.trans_a;
  p.b = b.data.data(), p.ldb = b.ld, p.stride_b = b.stride, p.trans_b = cs.trans_b;
  p.c = c.data.data(), p.ldc = c.ld, p.stride_c = c.stride;
  p.alpha = T(cs.alpha), p.beta = T(cs.beta);
  p.bias = cs.bias ? bias.data() : nullptr;
  p.activation = cs.act;
  p.residual = cs.residual ? r.data.data() : nullptr, p.ldr = r.ld, p.stride_r = r.stride;
  p.precision = precision;
  backend::gemm(p);

  const bool rounds = precision == Precision::bf16;
  // A double is rounded through float, as round_to_bfloat16 defines it.
  const auto bf16 = [](double v) { return bf16_reference(double(float(v))); };
  Outcome<T> out;
  double worst = 0, worst_model = 0, scale = 0, scale_model = 0;
  for (index_t e = 0; e < batch; ++e)
    for (index_t i = 0; i < m; ++i)
      for (index_t j = 0; j < n; ++j) {
        double sum = 0, sum_model = 0;
        for (index_t q = 0; q < k; ++q) {
          const double x = a.at(e, i, q, cs.trans_a), y = b.at(e, q, j, cs.trans_b);
          sum += rounds ? bf16(x) * bf16(y) : x * y;
          sum_model += x * y;
        }
        const std::size_t at = static_cast<std::size_t>(e * c.stride + i * c.ld + j);
        const auto finish = [&](double s) {
          double v = double(cs.alpha) * s + double(cs.beta) * double(c0[at]) +
                     (cs.bias ? double(bias[j]) : 0.0);
          return activate(cs.act, v) + (cs.residual ? r.at(e, i, j, false) : 0.0);
        };
        const double got = double(c.data[at]);
        if (!std::isfinite(got)) return {std::numeric_limits<double>::infinity(), 0, true};
        worst = std::max(worst, std::abs(got - finish(sum)));
        scale = std::max(scale, std::abs(finish(sum)));
        // Rounding's effect is judged on the product alone.
        worst_model = std::max(worst_model, std::abs(sum - sum_model));
        scale_model = std::max(scale_model, std::abs(sum_model));
      }
  out.exact_error = scale > 0 ? worst / scale : worst;
  out.model_error = scale_model > 0 ? worst_model / scale_model : worst_model;
  for (std::size_t i = 0; i < c.data.size(); ++i)
    if (!written[i] && c.data[i] != T(sentinel)) out.fence_intact = false;
  return out;
}

template <class T>
void check_all(Precision precision, double exact_tol, double model_tol) {
  for (const auto backend_kind : built_cpu_backends()) {
    CpuBackendScope scope(backend_kind);
    Rng rng(5);
    for (const Case& cs : cases) {
      const Outcome<T> o = run<T>(cs, precision, rng);
      BOOST_TEST_CONTEXT(backend::to_string(backend_kind)
                         << " " << backend::to_string(precision) << " m=" << cs.m << " n=" << cs.n
                         << " k=" << cs.k << " batch=" << cs.batch << " ta=" << cs.trans_a
                         << " tb=" << cs.trans_b << " pad=" << cs.pad
                         << " act=" << backend::to_string(cs.act)) {
        BOOST_TEST(o.exact_error < exact_tol);
        BOOST_TEST(o.model_error < model_tol);
        BOOST_TEST(o.fence_intact);
      }
    }
  }
}

GemmProblem<float> valid_problem(std::vector<float>& a, std::vector<float>& b,
                                 std::vector<float>& c) {
  a.assign(12, 1.0f), b.assign(20, 1.0f), c.assign(30, 0.0f);
  return GemmProblem<float>::dense(a.data(), false, b.data(), false, c.data(), 3, 5, 4, 1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gemm_problem)

BOOST_AUTO_TEST_CASE(float32_matches_double_reference) { check_all<float>(Precision::fp32, 1e-5, 1e-5); }

BOOST_AUTO_TEST_CASE(double_matches_double_reference) { check_all<double>(Precision::fp32, 1e-12, 1e-12); }

BOOST_AUTO_TEST_CASE(bf16_multiplies_rounded_numbers_in_float32) {
  check_all<float>(Precision::bf16, 1e-5, 1e-2);
  check_all<double>(Precision::bf16, 1e-12, 1e-2);
}

BOOST_AUTO_TEST_CASE(invalid_problems_are_refused_naming_the_field) {
  std::vector<float> a, b, c;
  auto p = valid_problem(a, b, c);
  BOOST_CHECK_NO_THROW(backend::gemm(p));
  auto q = p;
  q.lda = 3;
  require_throw_naming<invalid_argument>([&] { backend::gemm(q); }, {"lda=3"});
  q = p, q.ldc = 4;
  require_throw_naming<invalid_argument>([&] { backend::gemm(q); }, {"ldc=4"});
  q = p, q.batch = 2, q.stride_c = 5;
  require_throw_naming<invalid_argument>([&] { backend::gemm(q); }, {"overlap"});
  q = p, q.b = nullptr;
  require_throw_naming<invalid_argument>([&] { backend::gemm(q); }, {"b is null"});
  q = p, q.precision = Precision::int8;
  require_throw_naming<invalid_argument>([&] { backend::gemm(q); }, {"packed_linear"});
  q = p, q.k = -1;
  require_throw_naming<invalid_argument>([&] { backend::gemm(q); }, {"negative"});
}

BOOST_AUTO_TEST_CASE(tensor_gemm_fuses_the_epilogue_and_checks_its_shapes) {
  for (const auto backend_kind : built_cpu_backends()) {
    CpuBackendScope scope(backend_kind);
    Rng rng(2);
    const auto x = random_tensor<float>(Shape{2, 3, 8}, rng);
    const auto w = random_tensor<float>(Shape{5, 8}, rng);
    const auto bias = random_tensor<float>(Shape{5}, rng);
    const auto residual = random_tensor<float>(Shape{2, 3, 5}, rng);
    Tensor<float> fused(Shape{2, 3, 5}), steps(Shape{2, 3, 5});
    backend::gemm(x, Trans::no, w, Trans::yes, fused,
                  {.bias = &bias, .activation = Activation::gelu, .residual = &residual});
    backend::gemm(x, Trans::no, w, Trans::yes, steps);
    backend::add_row_vector(steps, bias);
    backend::activation_forward(Activation::gelu, steps, steps);
    backend::axpy(1.0f, residual, steps);
    for (index_t i = 0; i < fused.size(); ++i) BOOST_TEST(fused[i] == steps[i], boost::test_tools::tolerance(1e-5f));
    const auto wrong_bias = random_tensor<float>(Shape{4}, rng);
    require_throw_naming<shape_error>(
        [&] { backend::gemm(x, Trans::no, w, Trans::yes, fused, {.bias = &wrong_bias}); },
        {"bias must have 5"});
    const auto wrong_residual = random_tensor<float>(Shape{6, 5}, rng);
    require_throw_naming<shape_error>(
        [&] { backend::gemm(x, Trans::no, w, Trans::yes, fused, {.residual = &wrong_residual}); },
        {"residual must be shaped like C"});
  }
}

BOOST_AUTO_TEST_CASE(compute_precision_scope_sets_the_default_per_thread) {
  Rng rng(4);
  const auto a = random_tensor<float>(Shape{6, 40}, rng);
  const auto b = random_tensor<float>(Shape{40, 9}, rng);
  Tensor<float> plain(Shape{6, 9}), scoped(Shape{6, 9}), explicit_bf16(Shape{6, 9});
  backend::gemm(a, Trans::no, b, Trans::no, explicit_bf16, {.precision = Precision::bf16});
  BOOST_TEST((backend::compute_precision() == Precision::fp32));
  {
    backend::ComputePrecisionScope bf16(Precision::bf16);
    BOOST_TEST((backend::compute_precision() == Precision::bf16));
    backend::gemm(a, Trans::no, b, Trans::no, scoped);
    {
      backend::ComputePrecisionScope fp32(Precision::fp32);
      backend::gemm(a, Trans::no, b, Trans::no, plain);
    }
    BOOST_TEST((backend::compute_precision() == Precision::bf16));
  }
  BOOST_TEST((backend::compute_precision() == Precision::fp32));
  bool differs = false;
  for (index_t i = 0; i < plain.size(); ++i) {
    BOOST_TEST(scoped[i] == explicit_bf16[i]);
    differs = differs || plain[i] != scoped[i];
  }
  BOOST_TEST(differs, "bf16 rounding changed nothing: the scope was not applied");
  require_throw_naming<invalid_argument>(
      [] { backend::ComputePrecisionScope int8(Precision::int8); }, {"fp32 or bf16"});
}

BOOST_AUTO_TEST_SUITE_END()
