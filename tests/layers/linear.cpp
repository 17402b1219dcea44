#include <adaptrec/layers/linear.hpp>

#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

using namespace adaptrec;

BOOST_AUTO_TEST_SUITE(layers_linear)

BOOST_AUTO_TEST_CASE(forward_matches_definition) {
  Rng rng(1);
  layers::Linear<double> lin(3, 2, rng);
  Tensor<double> x(Shape{2, 3}, {1, 2, 3, -1, 0.5, 4});
  Tensor<double> y = lin.forward(x);
  BOOST_REQUIRE(y.shape() == (Shape{2, 2}));
  for (index_t i = 0; i < 2; ++i)
    for (index_t o = 0; o < 2; ++o) {
      double expected = lin.bias().value[o];
      for (index_t k = 0; k < 3; ++k) expected += x(i, k) * lin.weight().value(o, k);
      BOOST_TEST(y(i, o) == expected, boost::test_tools::tolerance(1e-12));
    }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Rng rng(2);
  layers::Linear<double> lin(5, 4, rng);
  Tensor<double> x(Shape{3, 2, 5});
  fill_uniform(x, -1.0, 1.0, rng);
  adaptrec_test::check_module_gradients(lin, x, rng);
}

BOOST_AUTO_TEST_CASE(without_bias_and_frozen_weight) {
  Rng rng(3);
  layers::Linear<double> lin(4, 3, rng, /*with_bias=*/false);
  int visited = 0;
  lin.visit_parameters([&](const std::string& name, Parameter<double>&) {
    BOOST_TEST(name == "proj.weight");
    ++visited;
  }, "proj");
  BOOST_TEST(visited == 1);
  lin.weight().trainable = false;
  Tensor<double> x(Shape{2, 4});
  fill_uniform(x, -1.0, 1.0, rng);
  lin.forward(x);
  Tensor<double> dy = Tensor<double>::full(Shape{2, 3}, 1.0);
  lin.backward(dy);
  for (double g : lin.weight().grad) BOOST_TEST(g == 0.0);
}

BOOST_AUTO_TEST_CASE(wrong_input_width_names_the_shape) {
  Rng rng(4);
  layers::Linear<float> lin(4, 3, rng);
  Tensor<float> x(Shape{2, 5});
  try {
    lin.forward(x);
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("[2, 5]") != std::string::npos);
  }
}

// x W^T + b over the weight rounded to bfloat16 (inputs are exact bf16 here).
Tensor<float> bf16_reference(const Tensor<float>& x, layers::Linear<float>& lin) {
  Tensor<float> y(Shape{x.rows(), lin.out_features()});
  for (index_t i = 0; i < x.rows(); ++i)
    for (index_t o = 0; o < lin.out_features(); ++o) {
      double sum = lin.bias().value[o];
      for (index_t k = 0; k < x.cols(); ++k)
        sum += double(x(i, k)) * double(backend::round_to_bfloat16(lin.weight().value(o, k)));
      y(i, o) = float(sum);
    }
  return y;
}

// Under a bf16 scope a frozen weight is rounded once and kept; the copy
// follows the weight through unfreezing, updates and freezing again.
BOOST_AUTO_TEST_CASE(bf16_scope_keeps_a_rounded_copy_of_a_frozen_weight_and_refreshes_it) {
  Rng rng(5);
  layers::Linear<float> lin(6, 4, rng);
  Tensor<float> x(Shape{3, 6}, {0.5f, -1, 2, 0.25f, 1, -0.75f, 1, 1, -2, 0.5f, 0, 3,
                                -1, 0.125f, 1.5f, 2, -3, 1});
  const auto close = [](const Tensor<float>& a, const Tensor<float>& b) {
    for (index_t i = 0; i < a.size(); ++i)
      if (std::abs(a[i] - b[i]) > 1e-5f * (1 + std::abs(b[i]))) return false;
    return true;
  };
  backend::ComputePrecisionScope bf16(backend::Precision::bf16);
  lin.weight().trainable = false;
  BOOST_TEST(close(lin.forward(x), bf16_reference(x, lin)));
  // Unfrozen and moved in training: the next frozen forward sees the move.
  lin.weight().trainable = true;
  lin.forward(x);
  for (float& w : lin.weight().value) w += 0.25f;
  lin.weight().trainable = false;
  BOOST_TEST(close(lin.forward(x), bf16_reference(x, lin)));
  // In eval mode with a trainable weight, entering eval refreshes it.
  lin.weight().trainable = true;
  for (float& w : lin.weight().value) w -= 0.5f;
  lin.eval();
  BOOST_TEST(close(lin.forward(x), bf16_reference(x, lin)));
}

// dx_sum + dy W, the parameter gradients as backward's; dx_sum may be dy.
BOOST_AUTO_TEST_CASE(backward_accumulate_adds_to_the_running_sum) {
  Rng rng(41);
  layers::Linear<double> lin(5, 5, rng);
  Tensor<double> x(Shape{2, 3, 5}), dy(Shape{2, 3, 5}), sum(Shape{2, 3, 5});
  fill_uniform(x, -1.0, 1.0, rng);
  fill_uniform(dy, -1.0, 1.0, rng);
  fill_uniform(sum, -1.0, 1.0, rng);
  lin.forward(x);
  const Tensor<double> dx = lin.backward(dy);
  const Tensor<double> weight_grad = lin.weight().grad, bias_grad = lin.bias().grad;
  lin.weight().grad.fill(0.0);
  lin.bias().grad.fill(0.0);
  Tensor<double> total = sum;
  lin.backward_accumulate(dy, total);
  for (index_t i = 0; i < dx.size(); ++i)
    BOOST_TEST(total[i] == sum[i] + dx[i], boost::test_tools::tolerance(1e-12));
  for (index_t i = 0; i < weight_grad.size(); ++i)
    BOOST_TEST(lin.weight().grad[i] == weight_grad[i], boost::test_tools::tolerance(1e-12));
  for (index_t i = 0; i < bias_grad.size(); ++i)
    BOOST_TEST(lin.bias().grad[i] == bias_grad[i], boost::test_tools::tolerance(1e-12));
  Tensor<double> in_place = dy;
  lin.backward_accumulate(in_place, in_place);
  for (index_t i = 0; i < dx.size(); ++i)
    BOOST_TEST(in_place[i] == dy[i] + dx[i], boost::test_tools::tolerance(1e-12));
  Tensor<double> wrong(Shape{2, 3, 4});
  BOOST_CHECK_THROW(lin.backward_accumulate(dy, wrong), shape_error);
}

BOOST_AUTO_TEST_SUITE_END()
