#include <adaptrec/core/parameter.hpp>

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace adaptrec;

BOOST_AUTO_TEST_SUITE(core_parameter)

BOOST_AUTO_TEST_CASE(marked_rows_are_sorted_unique_and_cleared_by_zero_grad) {
  Parameter<float> p(Shape{6, 2});
  p.sparse = true;
  const std::vector<index_t> first{4, 1, 4, 4, 0};
  p.mark_touched_rows(first.data(), static_cast<index_t>(first.size()));
  BOOST_TEST(p.touched_rows == (std::vector<index_t>{0, 1, 4}), boost::test_tools::per_element());
  const std::vector<index_t> second{1, 5};
  p.mark_touched_rows(second.data(), static_cast<index_t>(second.size()));
  BOOST_TEST(p.touched_rows == (std::vector<index_t>{0, 1, 4, 5}), boost::test_tools::per_element());

  p.grad.fill(1.0f);
  p.zero_grad();
  BOOST_TEST(p.touched_rows.empty());
  for (index_t r = 0; r < 6; ++r) {
    const bool was_touched = r == 0 || r == 1 || r == 4 || r == 5;
    BOOST_TEST(p.grad(r, 0) == (was_touched ? 0.0f : 1.0f));
  }
  // After zero_grad, a row is new again.
  const std::vector<index_t> third{4};
  p.mark_touched_rows(third.data(), 1);
  BOOST_TEST(p.touched_rows == (std::vector<index_t>{4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(manual_rows_and_marks_agree_after_finalize) {
  Parameter<double> p(Shape{4, 1});
  p.sparse = true;
  p.touched_rows = {3, 1, 3};
  p.finalize_sparse_rows();
  const std::vector<index_t> more{1, 2};
  p.mark_touched_rows(more.data(), 2);
  BOOST_TEST(p.touched_rows == (std::vector<index_t>{1, 2, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
