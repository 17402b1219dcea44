#pragma once
// Finite-difference gradient checks in double precision.
//
// For a module M with output y = M(x), the scalar L = <y, R> for a fixed random
// R has dL/dy = R; backward(R) must then agree with central differences
// (L(x + h e_i) - L(x - h e_i)) / 2h for every input element and every
// trainable parameter element.
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <type_traits>

namespace adaptrec_test {

using adaptrec::Parameter;
using adaptrec::Tensor;

inline constexpr double fd_step = 1e-6;
inline constexpr double fd_tolerance = 1e-6;

inline void check_close(double analytic, double numeric, const std::string& where,
                        double tol = fd_tolerance) {
  const double scale = std::max({1.0, std::abs(analytic), std::abs(numeric)});
  if (std::abs(analytic - numeric) > tol * scale) {
    std::ostringstream s;
    s << where << ": analytic " << analytic << " vs numeric " << numeric;
    BOOST_ERROR(s.str());
  }
}

inline double inner(const Tensor<double>& a, const Tensor<double>& b) {
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  double s = 0;
  for (adaptrec::index_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Numerical d loss / d t[i] for every element of t, by central differences.
inline Tensor<double> numeric_gradient(Tensor<double>& t, const std::function<double()>& loss,
                                       double h = fd_step) {
  Tensor<double> g(t.shape());
  for (adaptrec::index_t i = 0; i < t.size(); ++i) {
    const double saved = t[i];
    t[i] = saved + h;
    const double up = loss();
    t[i] = saved - h;
    const double down = loss();
    t[i] = saved;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

inline void compare(const Tensor<double>& analytic, const Tensor<double>& numeric,
                    const std::string& what, double tol = fd_tolerance) {
  BOOST_REQUIRE_EQUAL(analytic.size(), numeric.size());
  for (adaptrec::index_t i = 0; i < analytic.size(); ++i)
    check_close(analytic[i], numeric[i], what + "[" + std::to_string(i) + "]", tol);
}

// Checks a module whose forward takes a Tensor<double> (or integer ids, when
// the input gradient does not exist) against finite differences.
// `reset` runs before every forward (e.g. to reseed Dropout).
template <class M, class Input>
void check_module_gradients(M& module, Input input, adaptrec::Rng& rng,
                            double tol = fd_tolerance, const std::function<void()>& reset = {}) {
  auto run = [&] {
    if (reset) reset();
    return module.forward(input);
  };
  Tensor<double> y = run();
  Tensor<double> r(y.shape());
  adaptrec::fill_uniform(r, -1.0, 1.0, rng);
  auto loss = [&] { return inner(run(), r); };

  adaptrec::zero_grad(module);
  run();
  if constexpr (std::is_same_v<Input, Tensor<double>>) {
    Tensor<double> dx = module.backward(r);
    Tensor<double> numeric = numeric_gradient(input, loss);
    compare(dx, numeric, "input gradient", tol);
  } else {
    module.backward(r);
  }
  // Copy analytic gradients before the numeric loop runs more forwards.
  module.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        if (!p.trainable) return;
        Tensor<double> analytic = p.grad;
        Tensor<double> numeric = numeric_gradient(p.value, loss);
        compare(analytic, numeric, name, tol);
      },
      std::string{});
}

}  // namespace adaptrec_test
