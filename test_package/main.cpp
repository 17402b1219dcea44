// Uses the packaged headers: one Linear layer with hand-set weights, its output
// checked against the value worked out by hand.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/layers/linear.hpp>

#include <cmath>
#include <cstdio>

int main() {
  using adaptrec::Shape;
  using adaptrec::Tensor;

  adaptrec::Rng rng(7);
  adaptrec::layers::Linear<float> linear(2, 1, rng);
  linear.weight().value = Tensor<float>(Shape{1, 2}, {2.0f, -1.0f});
  linear.bias().value = Tensor<float>(Shape{1}, {0.25f});

  const Tensor<float> y = linear.forward(Tensor<float>(Shape{1, 2}, {3.0f, 1.0f}));
  const float expected = 2.0f * 3.0f - 1.0f * 1.0f + 0.25f;
  if (std::abs(y[0] - expected) > 1e-6f) {
    std::printf("adaptrec test_package: got %g, expected %g\n", y[0], expected);
    return 1;
  }
  std::printf("adaptrec test_package: OK (y = %g)\n", y[0]);
  return 0;
}
