// A downstream program: one Linear layer with hand-set weights, its forward
// and backward checked against values worked out by hand, and an SGD step
// through the backend interface. Exits non-zero on any mismatch.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/layers/linear.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {

int failures = 0;

void expect_values(const char* what, const adaptrec::Tensor<double>& actual,
                   const std::vector<double>& expected) {
  if (actual.size() != static_cast<adaptrec::index_t>(expected.size())) {
    std::printf("FAIL %s: %lld values, expected %zu\n", what,
                static_cast<long long>(actual.size()), expected.size());
    ++failures;
    return;
  }
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double a = actual[static_cast<adaptrec::index_t>(i)];
    if (std::abs(a - expected[i]) > 1e-12) {
      std::printf("FAIL %s[%zu]: %.17g, expected %.17g\n", what, i, a, expected[i]);
      ++failures;
    }
  }
}

}  // namespace

int main() {
  using adaptrec::Shape;
  using adaptrec::Tensor;

  adaptrec::Rng rng(7);
  adaptrec::layers::Linear<double> linear(3, 2, rng);
  linear.weight().value = Tensor<double>(Shape{2, 3}, {1, 2, 3, -1, 0, 0.5});
  linear.bias().value = Tensor<double>(Shape{2}, {0.5, -1});

  // y = x W^T + b
  const Tensor<double> x(Shape{2, 3}, {1, 1, 1, 2, 0, -2});
  const Tensor<double> y = linear.forward(x);
  expect_values("forward", y, {6.5, -1.5, -3.5, -4});

  // With dy = 1: dx = dy W, dW = dy^T x, db = column sums of dy.
  const Tensor<double> dy = Tensor<double>::full(Shape{2, 2}, 1.0);
  const Tensor<double> dx = linear.backward(dy);
  expect_values("input gradient", dx, {0, 2, 3.5, 0, 2, 3.5});
  expect_values("weight gradient", linear.weight().grad, {3, 1, -1, 3, 1, -1});
  expect_values("bias gradient", linear.bias().grad, {2, 2});

  // One SGD step, w -= 0.5 * dW, through the backend interface.
  adaptrec::backend::axpy(-0.5, linear.weight().grad, linear.weight().value);
  expect_values("weight after SGD", linear.weight().value, {-0.5, 1.5, 3.5, -2.5, -0.5, 1});

  std::printf("%s: adaptrec downstream check\n", failures == 0 ? "OK" : "FAILED");
  return failures == 0 ? 0 : 1;
}
