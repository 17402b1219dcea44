// The dispatch layer (backend/ops.hpp): every operation checks its shapes
// before touching memory and names them in the shape_error it throws.
#include <adaptrec/backend/ops.hpp>

#include <support/expect_throw.hpp>

#include <boost/test/unit_test.hpp>

#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

using namespace adaptrec;
using backend::Activation;
using backend::Trans;

namespace {

using F = Tensor<float>;
using Ids = Tensor<index_t>;

// Every call here must throw a shape_error naming all of `parts`.
void expect_shape_error(const std::function<void()>& call,
                        std::initializer_list<std::string_view> parts) {
  adaptrec_test::require_throw_naming<shape_error>(call, parts);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_ops)

BOOST_AUTO_TEST_CASE(gemm_shape_errors_name_all_three_shapes) {
  F c(Shape{2, 5});
  expect_shape_error([&] { backend::gemm(F(Shape{2, 3}), Trans::no, F(Shape{4, 5}), Trans::no, c); },
                     {"gemm", "[2, 3]", "[4, 5]", "[2, 5]"});
  expect_shape_error(
      [&] {
        F wrong_c(Shape{5, 2});
        backend::gemm(F(Shape{2, 3}), Trans::no, F(Shape{3, 5}), Trans::no, wrong_c);
      },
      {"[5, 2]"});
  expect_shape_error([&] { backend::gemm(F(Shape{2, 3}), Trans::yes, F(Shape{3, 5}), Trans::no, c); },
                     {"[2, 3]", "(A transposed)"});
  expect_shape_error([&] { backend::gemm(F(Shape{2, 3}), Trans::no, F(Shape{3, 5}), Trans::yes, c); },
                     {"[3, 5]", "(B transposed)"});
}

BOOST_AUTO_TEST_CASE(batched_gemm_shape_errors) {
  F c(Shape{2, 3, 5});
  expect_shape_error(
      [&] { backend::batched_gemm(F(Shape{3, 4}), Trans::no, F(Shape{2, 4, 5}), Trans::no, c); },
      {"batched_gemm", "[3, 4]", "[2, 4, 5]", "[2, 3, 5]"});
  expect_shape_error(
      [&] { backend::batched_gemm(F(Shape{3, 3, 4}), Trans::no, F(Shape{2, 4, 5}), Trans::no, c); },
      {"[3, 3, 4]"});
  expect_shape_error(
      [&] { backend::batched_gemm(F(Shape{2, 3, 4}), Trans::no, F(Shape{2, 5, 5}), Trans::no, c); },
      {"[2, 5, 5]"});
  expect_shape_error(
      [&] { backend::batched_gemm(F(Shape{2, 3, 4}), Trans::yes, F(Shape{2, 4, 5}), Trans::no, c); },
      {"[2, 3, 4]"});
}

BOOST_AUTO_TEST_CASE(elementwise_shape_errors) {
  F x(Shape{2, 3}), y(Shape{3, 2}), same(Shape{2, 3});
  expect_shape_error([&] { backend::activation_forward(Activation::relu, x, y); },
                     {"activation_forward", "[2, 3]", "[3, 2]"});
  expect_shape_error([&] { backend::activation_backward(Activation::tanh, x, same, y, same); },
                     {"activation_backward", "[3, 2]"});
  expect_shape_error([&] { backend::add_row_vector(x, F(Shape{4})); },
                     {"add_row_vector", "[2, 3]", "[4]"});
  expect_shape_error(
      [&] {
        F out(Shape{2});
        backend::accumulate_column_sums(F(Shape{5, 3}), out);
      },
      {"accumulate_column_sums", "[5, 3]", "[2]"});
  expect_shape_error(
      [&] {
        F five(Shape{5});
        backend::axpy(1.0f, F(Shape{6}), five);
      },
      {"axpy", "[6]", "[5]"});
  expect_shape_error([&] { backend::multiply(x, F(Shape{7}), same); },
                     {"multiply", "[2, 3]", "[7]"});
}

BOOST_AUTO_TEST_CASE(softmax_shape_errors) {
  F x(Shape{2, 3}), y(Shape{3, 2}), same(Shape{2, 3});
  expect_shape_error([&] { backend::softmax(x, y); }, {"softmax", "[2, 3]", "[3, 2]"});
  expect_shape_error([&] { backend::log_softmax(x, y); }, {"log_softmax", "[2, 3]", "[3, 2]"});
  expect_shape_error([&] { backend::softmax_backward(x, same, y); },
                     {"softmax_backward", "[2, 3]", "[3, 2]"});
}

BOOST_AUTO_TEST_CASE(layer_norm_shape_errors) {
  F x(Shape{2, 3, 4}), y(Shape{2, 3, 4}), mean(Shape{6}), rstd(Shape{6});
  F gamma(Shape{4}), beta(Shape{4});
  expect_shape_error(
      [&] { backend::layer_norm_forward(x, F(Shape{5}), beta, 1e-5f, y, mean, rstd); },
      {"layer_norm_forward", "[2, 3, 4]", "[5]"});
  expect_shape_error(
      [&] {
        F short_mean(Shape{3});
        backend::layer_norm_forward(x, gamma, beta, 1e-5f, y, short_mean, rstd);
      },
      {"layer_norm_forward", "[2, 3, 4]"});
  F dx(x.shape()), dgamma(Shape{4}), dbeta(Shape{4});
  expect_shape_error(
      [&] { backend::layer_norm_backward(x, F(Shape{3}), mean, rstd, y, dx, dgamma, dbeta); },
      {"layer_norm_backward", "[2, 3, 4]", "[3]"});
  expect_shape_error(
      [&] {
        F wide(Shape{5});
        backend::layer_norm_backward(x, gamma, mean, rstd, y, dx, wide, dbeta);
      },
      {"layer_norm_backward", "[2, 3, 4]"});
  expect_shape_error(
      [&] {
        F wrong_dx(Shape{6, 4});
        backend::layer_norm_backward(x, gamma, mean, rstd, y, wrong_dx, dgamma, dbeta);
      },
      {"[6, 4]"});
}

BOOST_AUTO_TEST_CASE(embedding_shape_errors) {
  const Ids ids(Shape{3}, {0, 1, 2});
  F out(Shape{3, 4});
  expect_shape_error([&] { backend::gather_rows(F(Shape{12}), ids, out); }, {"rank-2", "[12]"});
  expect_shape_error(
      [&] {
        F wrong(Shape{2, 4});
        backend::gather_rows(F(Shape{5, 4}), ids, wrong);
      },
      {"gather_rows", "[5, 4]", "[3]", "[2, 4]"});
  expect_shape_error([&] { backend::gather_rows(F(Shape{5, 3}), ids, out); },
                     {"gather_rows", "[5, 3]", "[3, 4]"});
  expect_shape_error(
      [&] {
        F grad(Shape{5, 4});
        backend::scatter_add_rows(F(Shape{2, 4}), ids, grad);
      },
      {"scatter_add_rows", "[2, 4]", "[3]", "[5, 4]"});
  expect_shape_error(
      [&] {
        F grad(Shape{5, 3});
        backend::scatter_add_rows(out, ids, grad);
      },
      {"scatter_add_rows", "[3, 4]", "[5, 3]"});
  expect_shape_error(
      [&] {
        F grad(Shape{20});
        backend::scatter_add_rows(out, ids, grad);
      },
      {"rank-2", "[20]"});
}

BOOST_AUTO_TEST_CASE(attention_shape_errors) {
  const F q(Shape{2, 2, 3, 5}), k(Shape{2, 2, 4, 5}), v(Shape{2, 2, 4, 5});
  F out(Shape{2, 2, 3, 5}), probs(Shape{2, 2, 3, 4});
  const F no_mask;
  expect_shape_error(
      [&] { backend::attention_forward(F(Shape{2, 3, 5}), k, v, no_mask, 1.0f, out, probs); },
      {"attention_forward", "[2, 3, 5]", "[2, 2, 4, 5]"});
  expect_shape_error(
      [&] { backend::attention_forward(q, k, F(Shape{2, 2, 4, 6}), no_mask, 1.0f, out, probs); },
      {"attention_forward", "[2, 2, 4, 6]"});
  expect_shape_error(
      [&] {
        const F narrow(Shape{2, 2, 4, 4});
        backend::attention_forward(q, narrow, narrow, no_mask, 1.0f, out, probs);
      },
      {"[2, 2, 3, 5]", "[2, 2, 4, 4]"});
  expect_shape_error(
      [&] { backend::attention_forward(q, k, v, F(Shape{2, 3}), 1.0f, out, probs); },
      {"attention_forward", "[2, 3]"});
  expect_shape_error(
      [&] {
        F wrong_probs(Shape{2, 2, 3, 5});
        backend::attention_forward(q, k, v, no_mask, 1.0f, out, wrong_probs);
      },
      {"attention_forward", "[2, 2, 3, 5]"});

  F dq(q.shape()), dk(k.shape()), dv(v.shape());
  expect_shape_error(
      [&] {
        const F v6(Shape{2, 2, 4, 6});
        F dv6(v6.shape());
        backend::attention_backward(q, k, v6, probs, out, 1.0f, dq, dk, dv6);
      },
      {"attention_backward", "[2, 2, 4, 6]"});
  expect_shape_error(
      [&] {
        const F narrow(Shape{2, 2, 4, 4});
        F d_narrow_k(narrow.shape()), d_narrow_v(narrow.shape());
        backend::attention_backward(q, narrow, narrow, probs, out, 1.0f, dq, d_narrow_k,
                                    d_narrow_v);
      },
      {"attention_backward", "[2, 2, 3, 5]", "[2, 2, 4, 4]"});
  expect_shape_error(
      [&] {
        const F wrong_probs(Shape{2, 2, 3, 3});
        backend::attention_backward(q, k, v, wrong_probs, out, 1.0f, dq, dk, dv);
      },
      {"attention_backward", "[2, 2, 3, 3]"});
  expect_shape_error(
      [&] {
        const F q3(Shape{4, 3, 5});
        F dq3(q3.shape());
        backend::attention_backward(q3, k, v, probs, q3, 1.0f, dq3, dk, dv);
      },
      {"attention_backward", "[4, 3, 5]"});
}

BOOST_AUTO_TEST_CASE(empty_inputs_are_accepted) {
  // Zero rows (an empty batch) and a zero inner dimension are legal extents.
  F c(Shape{0, 4});
  BOOST_CHECK_NO_THROW(backend::gemm(F(Shape{0, 3}), Trans::no, F(Shape{3, 4}), Trans::no, c));
  F c_inner = F::full(Shape{2, 4}, std::numeric_limits<float>::quiet_NaN());
  backend::gemm(F(Shape{2, 0}), Trans::no, F(Shape{0, 4}), Trans::no, c_inner);
  for (float v : c_inner) BOOST_TEST(v == 0.0f);
  F y(Shape{0, 5});
  BOOST_CHECK_NO_THROW(backend::softmax(F(Shape{0, 5}), y));
  F gathered(Shape{0, 4});
  BOOST_CHECK_NO_THROW(backend::gather_rows(F(Shape{5, 4}), Ids(Shape{0}), gathered));
}

BOOST_AUTO_TEST_SUITE_END()
