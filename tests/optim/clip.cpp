#include <adaptrec/optim/clip.hpp>

#include <support/parameters.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace adaptrec;
using optim::clip_grad_norm;
using adaptrec_test::make_gradient;

BOOST_AUTO_TEST_SUITE(optim_clip)

// Global norm sqrt(3^2 + 4^2 + 12^2) = 13 over both parameters.
BOOST_AUTO_TEST_CASE(scales_all_gradients_by_the_global_norm) {
  Parameter<double> a = make_gradient(Shape{2}, {3, 4});
  Parameter<double> b = make_gradient(Shape{1, 1}, {12});
  std::vector<NamedParameter<double>> params = {{"a", &a}, {"b", &b}};
  const double norm = clip_grad_norm(params, 6.5);
  BOOST_TEST(norm == 13.0, boost::test_tools::tolerance(1e-15));
  const double coefficient = 6.5 / (13.0 + 1e-6);
  BOOST_TEST(a.grad[0] == 3 * coefficient, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(a.grad[1] == 4 * coefficient, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(b.grad[0] == 12 * coefficient, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(std::hypot(a.grad[0], a.grad[1], b.grad[0]) == 6.5,
             boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(below_threshold_leaves_gradients_alone) {
  Parameter<double> a = make_gradient(Shape{2}, {3, 4});
  std::vector<NamedParameter<double>> params = {{"a", &a}};
  BOOST_TEST(clip_grad_norm(params, 5.1) == 5.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(a.grad.to_vector() == std::vector<double>({3, 4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(frozen_excluded_and_sparse_counts_touched_rows) {
  Parameter<double> frozen = make_gradient(Shape{1}, {100});
  frozen.trainable = false;
  Parameter<double> table = make_gradient(Shape{3, 2}, {3, 0, 50, 50, 0, 4});
  table.sparse = true;
  table.touched_rows = {0, 2};  // row 1 is not listed, so it is not part of the gradient
  std::vector<NamedParameter<double>> params = {{"frozen", &frozen}, {"table", &table}};
  BOOST_TEST(clip_grad_norm(params, 1.0) == 5.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(frozen.grad[0] == 100.0);
  BOOST_TEST(table.grad(1, 0) == 50.0);
  BOOST_TEST(table.grad(0, 0) == 3.0 / (5.0 + 1e-6), boost::test_tools::tolerance(1e-15));
  BOOST_TEST(table.grad(2, 1) == 4.0 / (5.0 + 1e-6), boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(float_gradients_from_a_temporary_list) {
  Parameter<float> p(Shape{4});
  p.grad.fill(1.0f);
  const float norm = clip_grad_norm(std::vector<NamedParameter<float>>{{"p", &p}}, 1.0);
  BOOST_TEST(norm == 2.0f);
  for (float g : p.grad) BOOST_TEST(g == 0.5f, boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(bad_input_is_named) {
  Parameter<double> a = make_gradient(Shape{2}, {1, std::nan("")});
  std::vector<NamedParameter<double>> params = {{"mlp.0.weight", &a}};
  auto message = [&](double max_norm) -> std::string {
    try {
      clip_grad_norm(params, max_norm);
    } catch (const invalid_argument& e) {
      return e.what();
    }
    return "no exception";
  };
  BOOST_TEST(message(1.0).find("mlp.0.weight") != std::string::npos);
  BOOST_TEST(message(0.0).find("max_norm") != std::string::npos);
  BOOST_TEST(message(-1.0).find("max_norm") != std::string::npos);
  a.grad[1] = 0;
  a.sparse = true;
  a.value.reshape(Shape{2, 1});
  a.grad.reshape(Shape{2, 1});
  a.touched_rows = {0, 7};
  try {
    clip_grad_norm(params, 1.0);
    BOOST_FAIL("expected index_error");
  } catch (const index_error& e) {
    BOOST_TEST(std::string(e.what()).find("row 7") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
