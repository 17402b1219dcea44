#include <adaptrec/encoders/pooling.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>
#include <support/random_tensor.hpp>

#include <boost/test/unit_test.hpp>

using namespace adaptrec;
using adaptrec_test::random_tensor;
using adaptrec_test::require_throw_naming;

namespace {

// Two sequences of length 4; the second has two padding positions.
Tensor<index_t> padded_mask() { return Tensor<index_t>(Shape{2, 4}, {1, 1, 1, 1, 1, 1, 0, 0}); }

// d <pool(h), r> / dh by central differences, against pool_backward(r).
template <class Pool, class Backward>
void check_pool_gradient(Pool&& pool, Backward&& backward, Tensor<double> hidden, Rng& rng) {
  Tensor<double> r = random_tensor<double>(pool(hidden).shape(), rng);
  const Tensor<double> analytic = backward(r);
  BOOST_REQUIRE(analytic.shape() == hidden.shape());
  const Tensor<double> numeric = adaptrec_test::numeric_gradient(
      hidden, [&] { return adaptrec_test::inner(pool(hidden), r); });
  adaptrec_test::compare(analytic, numeric, "d hidden");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_pooling)

BOOST_AUTO_TEST_CASE(names_round_trip) {
  for (auto p : {encoders::Pooling::cls, encoders::Pooling::mean, encoders::Pooling::pooler})
    BOOST_TEST((encoders::pooling_from_name(encoders::to_string(p)) == p));
  require_throw_naming<invalid_argument>([] { encoders::pooling_from_name("max"); },
                                         {"'max'", "cls, mean, pooler"});
}

BOOST_AUTO_TEST_CASE(cls_takes_the_first_position) {
  Rng rng(1);
  const Tensor<double> h = random_tensor<double>(Shape{2, 4, 3}, rng);
  const Tensor<double> pooled = encoders::cls_pool(h);
  BOOST_REQUIRE(pooled.shape() == (Shape{2, 3}));
  for (index_t b = 0; b < 2; ++b)
    for (index_t c = 0; c < 3; ++c) BOOST_TEST(pooled(b, c) == h(b, 0, c));
}

BOOST_AUTO_TEST_CASE(mean_averages_real_tokens_only) {
  Rng rng(2);
  const Tensor<double> h = random_tensor<double>(Shape{2, 4, 3}, rng);
  const Tensor<index_t> mask = padded_mask();
  const Tensor<double> pooled = encoders::mean_pool(h, mask);
  for (index_t b = 0; b < 2; ++b)
    for (index_t c = 0; c < 3; ++c) {
      double sum = 0, count = 0;
      for (index_t s = 0; s < 4; ++s)
        if (mask(b, s)) {
          sum += h(b, s, c);
          ++count;
        }
      BOOST_TEST(pooled(b, c) == sum / count, boost::test_tools::tolerance(1e-14));
    }
}

BOOST_AUTO_TEST_CASE(mean_of_an_all_padding_row_is_zero_not_nan) {
  Rng rng(3);
  const Tensor<double> h = random_tensor<double>(Shape{1, 3, 2}, rng);
  const Tensor<double> pooled = encoders::mean_pool(h, Tensor<index_t>(Shape{1, 3}));
  for (double v : pooled) BOOST_TEST(v == 0.0);
  for (double v : encoders::mean_pool_backward(pooled, Tensor<index_t>(Shape{1, 3})))
    BOOST_TEST(v == 0.0);
}

BOOST_AUTO_TEST_CASE(cls_gradient_matches_finite_differences) {
  Rng rng(4);
  const Tensor<double> h = random_tensor<double>(Shape{2, 4, 3}, rng);
  check_pool_gradient(
      [](const Tensor<double>& x) { return encoders::cls_pool(x); },
      [&](const Tensor<double>& d) { return encoders::cls_pool_backward(d, h.shape()); }, h, rng);
}

BOOST_AUTO_TEST_CASE(mean_gradient_matches_finite_differences) {
  Rng rng(5);
  const Tensor<index_t> mask = padded_mask();
  check_pool_gradient(
      [&](const Tensor<double>& x) { return encoders::mean_pool(x, mask); },
      [&](const Tensor<double>& d) { return encoders::mean_pool_backward(d, mask); },
      random_tensor<double>(Shape{2, 4, 3}, rng), rng);
}

BOOST_AUTO_TEST_CASE(pooler_is_tanh_of_dense_cls) {
  Rng rng(6);
  encoders::BertPooler<double> pooler(3, rng);
  const Tensor<double> h = random_tensor<double>(Shape{2, 4, 3}, rng);
  const Tensor<double> y = pooler.forward(h);
  const auto& w = pooler.dense().weight().value;
  const auto& bias = pooler.dense().bias().value;
  for (index_t b = 0; b < 2; ++b)
    for (index_t o = 0; o < 3; ++o) {
      double z = bias[o];
      for (index_t k = 0; k < 3; ++k) z += w(o, k) * h(b, 0, k);
      BOOST_TEST(y(b, o) == std::tanh(z), boost::test_tools::tolerance(1e-14));
    }
}

BOOST_AUTO_TEST_CASE(pooler_gradients_match_finite_differences) {
  Rng rng(7);
  encoders::BertPooler<double> pooler(4, rng);
  static_assert(Module<encoders::BertPooler<double>>);
  adaptrec_test::check_module_gradients(pooler, random_tensor<double>(Shape{3, 2, 4}, rng), rng);
  std::vector<std::string> names;
  pooler.visit_parameters([&](const std::string& n, Parameter<double>&) { names.push_back(n); },
                          "pooler");
  BOOST_TEST((names == std::vector<std::string>{"pooler.dense.weight", "pooler.dense.bias"}));
}

BOOST_AUTO_TEST_CASE(bad_shapes_are_named) {
  Rng rng(8);
  const Tensor<double> flat = random_tensor<double>(Shape{2, 3}, rng);
  require_throw_naming<shape_error>([&] { encoders::cls_pool(flat); }, {"cls_pool", "[2, 3]"});
  const Tensor<double> h = random_tensor<double>(Shape{2, 4, 3}, rng);
  require_throw_naming<shape_error>(
      [&] {
        encoders::mean_pool(h, Tensor<index_t>(Shape{2, 5}));
      },
      {"mean_pool", "[2, 5]"});
  require_throw_naming<shape_error>(
      [&] {
        encoders::cls_pool_backward(Tensor<double>(Shape{2, 2}), h.shape());
      },
      {"[2, 2]", "[2, 4, 3]"});
}

BOOST_AUTO_TEST_SUITE_END()
