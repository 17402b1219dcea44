#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>

using namespace adaptrec;

BOOST_AUTO_TEST_SUITE(backend_concat)

BOOST_AUTO_TEST_CASE(concat_places_each_part_in_its_columns) {
  Rng rng(5);
  Tensor<double> a(Shape{2, 3, 2}), b(Shape{2, 3, 1}), c(Shape{2, 3, 4});
  for (auto* t : {&a, &b, &c}) fill_uniform(*t, -1.0, 1.0, rng);
  const Tensor<double> out = backend::concat_columns<double>({&a, &b, &c});
  BOOST_TEST(out.shape() == (Shape{2, 3, 7}));
  for (index_t r = 0; r < 6; ++r) {
    for (index_t j = 0; j < 2; ++j) BOOST_TEST(out[r * 7 + j] == a[r * 2 + j]);
    BOOST_TEST(out[r * 7 + 2] == b[r]);
    for (index_t j = 0; j < 4; ++j) BOOST_TEST(out[r * 7 + 3 + j] == c[r * 4 + j]);
  }
}

BOOST_AUTO_TEST_CASE(split_inverts_concat_and_writes_every_element) {
  Rng rng(6);
  Tensor<float> a(Shape{33, 5}), b(Shape{33, 11});
  fill_uniform(a, -1.0f, 1.0f, rng);
  fill_uniform(b, -1.0f, 1.0f, rng);
  const auto parts = backend::split_columns(backend::concat_columns<float>({&a, &b}), {5, 11});
  BOOST_REQUIRE_EQUAL(parts.size(), 2u);
  BOOST_TEST(parts[0].shape() == a.shape());
  BOOST_TEST(parts[1].shape() == b.shape());
  BOOST_TEST(parts[0].to_vector() == a.to_vector(), boost::test_tools::per_element());
  BOOST_TEST(parts[1].to_vector() == b.to_vector(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(mismatched_rows_and_widths_name_the_shapes) {
  Tensor<float> a(Shape{2, 3}), b(Shape{3, 3});
  try {
    backend::concat_columns<float>({&a, &b});
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("[2, 3] [3, 3]") != std::string::npos, e.what());
  }
  try {
    backend::split_columns(a, {1, 1});
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("[2, 3]") != std::string::npos, e.what());
  }
  BOOST_CHECK_THROW(backend::concat_columns<float>({}), invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(backend_normalize)

// Against a plain double loop, outputs poisoned first.
BOOST_AUTO_TEST_CASE(l2_normalize_matches_a_double_reference) {
  Rng rng(7);
  Tensor<float> x(Shape{17, 9});
  fill_uniform(x, -2.0f, 2.0f, rng);
  Tensor<float> y = Tensor<float>::full(x.shape(), std::numeric_limits<float>::quiet_NaN());
  Tensor<float> norms = Tensor<float>::full(Shape{17}, std::numeric_limits<float>::quiet_NaN());
  backend::l2_normalize(x, 1e-12f, y, norms);
  for (index_t r = 0; r < 17; ++r) {
    double n = 0;
    for (index_t c = 0; c < 9; ++c) n += double(x(r, c)) * double(x(r, c));
    n = std::sqrt(n);
    BOOST_TEST(norms[r] == n, boost::test_tools::tolerance(1e-6));
    for (index_t c = 0; c < 9; ++c)
      BOOST_TEST(double(y(r, c)) == double(x(r, c)) / n, boost::test_tools::tolerance(1e-5));
  }
}

// The gradient of <normalize(x), g> by central differences, in double.
BOOST_AUTO_TEST_CASE(l2_normalize_backward_matches_finite_differences) {
  Rng rng(8);
  Tensor<double> x(Shape{3, 4}), g(Shape{3, 4});
  fill_uniform(x, -1.0, 1.0, rng);
  fill_uniform(g, -1.0, 1.0, rng);
  auto loss = [&] {
    Tensor<double> y(x.shape()), norms(Shape{3});
    backend::l2_normalize(x, 1e-12, y, norms);
    double s = 0;
    for (index_t i = 0; i < y.size(); ++i) s += y[i] * g[i];
    return s;
  };
  Tensor<double> y(x.shape()), norms(Shape{3}), dx(x.shape());
  backend::l2_normalize(x, 1e-12, y, norms);
  backend::l2_normalize_backward(y, norms, g, 1e-12, dx);
  for (index_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    x[i] = saved + 1e-6;
    const double up = loss();
    x[i] = saved - 1e-6;
    const double down = loss();
    x[i] = saved;
    BOOST_TEST(dx[i] == (up - down) / 2e-6, boost::test_tools::tolerance(1e-6));
  }
}

BOOST_AUTO_TEST_SUITE_END()
