#include <adaptrec/layers/dropout.hpp>

#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <utility>

using namespace adaptrec;

static_assert(Module<layers::Dropout<double>>);
static_assert(Module<layers::Dropout<float>>);

BOOST_AUTO_TEST_SUITE(layers_dropout)

BOOST_AUTO_TEST_CASE(probability_must_be_in_zero_one) {
  BOOST_CHECK_THROW(layers::Dropout<float>(-0.1f, 1), invalid_argument);
  BOOST_CHECK_THROW(layers::Dropout<float>(1.0f, 1), invalid_argument);
  BOOST_CHECK_THROW(layers::Dropout<float>(std::numeric_limits<float>::quiet_NaN(), 1),
                    invalid_argument);
  BOOST_CHECK_NO_THROW(layers::Dropout<float>(0.0f, 1));
}

BOOST_AUTO_TEST_CASE(kept_units_are_scaled_and_dropped_ones_are_zero) {
  Rng rng(1);
  layers::Dropout<double> drop(0.25, 7);
  Tensor<double> x(Shape{50, 20});
  fill_uniform(x, 0.5, 1.5, rng);
  Tensor<double> y = drop.forward(x);
  for (index_t i = 0; i < x.size(); ++i)
    BOOST_TEST((y[i] == 0.0 || std::abs(y[i] - x[i] / 0.75) < 1e-15));
}

BOOST_AUTO_TEST_CASE(seeded_masks_are_reproducible) {
  Tensor<float> x = Tensor<float>::full(Shape{4, 64}, 1.0f);
  layers::Dropout<float> a(0.5f, 123), b(0.5f, 123), c(0.5f, 124);
  Tensor<float> ya = a.forward(x);
  BOOST_TEST(ya.to_vector() == b.forward(x).to_vector(), boost::test_tools::per_element());
  BOOST_TEST((ya.to_vector() != c.forward(x).to_vector()));
  // Successive calls draw fresh masks; reseeding restarts the sequence.
  BOOST_TEST((a.forward(x).to_vector() != ya.to_vector()));
  a.reseed(123);
  BOOST_TEST(a.forward(x).to_vector() == ya.to_vector(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(eval_mode_and_zero_probability_are_the_identity) {
  Rng rng(2);
  Tensor<double> x(Shape{3, 5});
  fill_uniform(x, -1.0, 1.0, rng);
  Tensor<double> dy(Shape{3, 5});
  fill_uniform(dy, -1.0, 1.0, rng);

  layers::Dropout<double> drop(0.9, 3);
  drop.eval();
  BOOST_TEST(!drop.is_training());
  BOOST_TEST(drop.forward(x).to_vector() == x.to_vector(), boost::test_tools::per_element());
  BOOST_TEST(drop.backward(dy).to_vector() == dy.to_vector(), boost::test_tools::per_element());

  layers::Dropout<double> none(0.0, 3);
  BOOST_TEST(none.forward(x).to_vector() == x.to_vector(), boost::test_tools::per_element());
  BOOST_TEST(none.backward(dy).to_vector() == dy.to_vector(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(kept_fraction_and_expected_value) {
  const double p = 0.3;
  layers::Dropout<double> drop(p, 99);
  Tensor<double> ones = Tensor<double>::full(Shape{1000, 1000}, 1.0);
  Tensor<double> y = drop.forward(ones);
  double kept = 0, sum = 0;
  for (double v : y) {
    kept += v != 0.0;
    sum += v;
  }
  const double n = static_cast<double>(y.size());
  // Binomial standard deviation of the kept fraction is sqrt(p(1-p)/n) ~ 4.6e-4.
  BOOST_TEST(std::abs(kept / n - (1 - p)) < 0.003);
  BOOST_TEST(std::abs(sum / n - 1.0) < 0.005);
}

BOOST_AUTO_TEST_CASE(gradient_matches_finite_differences_with_a_fixed_mask) {
  Rng rng(4);
  layers::Dropout<double> drop(0.4, 5);
  Tensor<double> x(Shape{3, 7});
  fill_uniform(x, -1.0, 1.0, rng);
  adaptrec_test::check_module_gradients(drop, x, rng, adaptrec_test::fd_tolerance,
                                        [&] { drop.reseed(5); });
}

BOOST_AUTO_TEST_CASE(backward_is_masked_like_forward) {
  layers::Dropout<double> drop(0.5, 11);
  Tensor<double> ones = Tensor<double>::full(Shape{8, 8}, 1.0);
  Tensor<double> y = drop.forward(ones);
  Tensor<double> dx = drop.backward(ones);
  BOOST_TEST(dx.to_vector() == y.to_vector(), boost::test_tools::per_element());
  try {
    drop.backward(Tensor<double>(Shape{8, 9}));
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("[8, 9]") != std::string::npos);
  }
}

// A moved-in input draws the same mask and gives the same output; the
// identity then hands back the input's own storage, and backward with a
// scratch tensor returns dy itself.
BOOST_AUTO_TEST_CASE(moved_inputs_match_and_the_identity_copies_nothing) {
  Rng rng(12);
  Tensor<double> x(Shape{6, 9});
  fill_uniform(x, -1.0, 1.0, rng);
  layers::Dropout<double> by_reference(0.3, 21), by_move(0.3, 21);
  const Tensor<double> expected = by_reference.forward(x);
  const Tensor<double> moved = by_move.forward(Tensor<double>(x));
  BOOST_TEST(moved.to_vector() == expected.to_vector(), boost::test_tools::per_element());
  Tensor<double> scratch;
  const Tensor<double>& dx = by_move.backward(x, scratch);
  BOOST_TEST(&dx == &scratch);
  BOOST_TEST(dx.to_vector() == by_reference.backward(x).to_vector(),
             boost::test_tools::per_element());
  BOOST_TEST(by_move.backward(Tensor<double>(x)).to_vector() == dx.to_vector(),
             boost::test_tools::per_element());

  by_move.eval();
  Tensor<double> input = x;
  const double* storage = input.data();
  const Tensor<double> y = by_move.forward(std::move(input));
  BOOST_TEST(y.data() == storage);
  BOOST_TEST(&by_move.backward(x, scratch) == &x);
  BOOST_CHECK_THROW(by_move.backward(Tensor<double>(Shape{6, 8}), scratch), shape_error);
}

BOOST_AUTO_TEST_SUITE_END()
