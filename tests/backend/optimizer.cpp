#include <adaptrec/core/random.hpp>
#include <adaptrec/backend/cpu/optimizer.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace adaptrec;
namespace kernels = adaptrec::backend::cpu;

namespace {

// 37 elements: vector packets plus a scalar tail.
constexpr index_t n = 37;

Tensor<float> random_tensor(Rng& rng, float low, float high) {
  Tensor<float> t(Shape{n});
  fill_uniform(t, low, high, rng);
  return t;
}

void check_close(const Tensor<float>& actual, const std::vector<double>& expected,
                 const std::string& what) {
  for (index_t k = 0; k < n; ++k) {
    const double e = expected[static_cast<std::size_t>(k)];
    BOOST_TEST_CONTEXT(what << " element " << k) {
      BOOST_TEST(std::abs(actual[k] - e) <= 2e-6 * std::max(1.0, std::abs(e)));
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_optimizer)

BOOST_AUTO_TEST_CASE(float_adam_span_matches_double_reference) {
  Rng rng(11);
  for (const bool decoupled : {false, true}) {
    Tensor<float> x = random_tensor(rng, -2, 2), g = random_tensor(rng, -1, 1);
    Tensor<float> m = random_tensor(rng, -0.5, 0.5), v = random_tensor(rng, 0, 0.3);
    const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1, t = 3;
    const double step_size = lr / (1 - std::pow(b1, t)), bc2_sqrt = std::sqrt(1 - std::pow(b2, t));
    const kernels::AdamScalars<float> s{.one_minus_beta1 = float(1 - b1), .beta2 = float(b2),
                                       .one_minus_beta2 = float(1 - b2),
                                       .step_size = float(step_size),
                                       .bias_correction2_sqrt = float(bc2_sqrt),
                                       .epsilon = float(eps), .weight_decay = float(wd),
                                       .shrink = float(1 - lr * wd)};
    std::vector<double> xr(n), mr(n), vr(n);
    for (index_t k = 0; k < n; ++k) {
      const auto i = static_cast<std::size_t>(k);
      double xk = x[k], gk = g[k];
      if (decoupled)
        xk *= 1 - lr * wd;
      else
        gk += wd * xk;
      mr[i] = b1 * m[k] + (1 - b1) * gk;
      vr[i] = b2 * v[k] + (1 - b2) * gk * gk;
      xr[i] = xk - step_size * mr[i] / (std::sqrt(vr[i]) / bc2_sqrt + eps);
    }
    if (decoupled)
      kernels::adam_span<true>(x.data(), g.data(), m.data(), v.data(), n, s);
    else
      kernels::adam_span<false>(x.data(), g.data(), m.data(), v.data(), n, s);
    check_close(m, mr, "m");
    check_close(v, vr, "v");
    check_close(x, xr, decoupled ? "AdamW x" : "Adam x");
  }
}

BOOST_AUTO_TEST_CASE(float_adagrad_span_matches_double_reference) {
  Rng rng(12);
  Tensor<float> x = random_tensor(rng, -2, 2), g = random_tensor(rng, -1, 1);
  Tensor<float> a = random_tensor(rng, 0, 2);
  const double lr = 0.05, eps = 1e-10, wd = 0.01;
  std::vector<double> xr(n), ar(n);
  for (index_t k = 0; k < n; ++k) {
    const auto i = static_cast<std::size_t>(k);
    const double gk = g[k] + wd * x[k];
    ar[i] = a[k] + gk * gk;
    xr[i] = x[k] - lr * gk / (std::sqrt(ar[i]) + eps);
  }
  kernels::adagrad_span(x.data(), g.data(), a.data(), n, float(lr), float(eps), float(wd));
  check_close(a, ar, "accumulator");
  check_close(x, xr, "x");
}

BOOST_AUTO_TEST_CASE(float_sgd_spans_match_double_reference) {
  Rng rng(13);
  for (const bool nesterov : {false, true}) {
    for (const bool first_step : {false, true}) {
      Tensor<float> x = random_tensor(rng, -2, 2), g = random_tensor(rng, -1, 1);
      Tensor<float> b = random_tensor(rng, -1, 1);
      const double lr = 0.1, wd = 0.01, mu = 0.9, keep = nesterov ? 1.0 : 0.75;
      std::vector<double> xr(n), br(n);
      for (index_t k = 0; k < n; ++k) {
        const auto i = static_cast<std::size_t>(k);
        const double d = g[k] + wd * x[k];
        br[i] = first_step ? d : mu * b[k] + keep * d;
        xr[i] = x[k] - lr * (nesterov ? d + mu * br[i] : br[i]);
      }
      const kernels::SgdScalars<float> s{.learning_rate = float(lr), .weight_decay = float(wd),
                                        .momentum = float(mu),
                                        .one_minus_dampening = float(keep),
                                        .nesterov = nesterov, .first_step = first_step};
      kernels::sgd_momentum_span(x.data(), g.data(), b.data(), n, s);
      check_close(b, br, "buffer");
      check_close(x, xr, "x");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
