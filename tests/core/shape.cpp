#include <adaptrec/core/shape.hpp>

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>

using namespace adaptrec;

BOOST_AUTO_TEST_SUITE(core_shape)

BOOST_AUTO_TEST_CASE(rank_and_extents) {
  const Shape s{2, 3, 4};
  BOOST_TEST(s.rank() == 3);
  BOOST_TEST(s[0] == 2);
  BOOST_TEST(s[1] == 3);
  BOOST_TEST(s[2] == 4);
  BOOST_TEST(s.back() == 4);
}

BOOST_AUTO_TEST_CASE(numel_is_the_product_of_extents) {
  BOOST_TEST((Shape{2, 3, 4, 5}.numel()) == 120);
  BOOST_TEST((Shape{7}.numel()) == 7);
  BOOST_TEST((Shape{3, 0, 2}.numel()) == 0);
  // A rank-0 shape is a scalar: one element, and back() is 1 so it is a 1x1 matrix.
  BOOST_TEST(Shape{}.rank() == 0);
  BOOST_TEST(Shape{}.numel() == 1);
  BOOST_TEST(Shape{}.back() == 1);
}

BOOST_AUTO_TEST_CASE(more_than_four_dimensions_throws) {
  BOOST_CHECK_NO_THROW((Shape{1, 2, 3, 4}));
  try {
    Shape s{1, 2, 3, 4, 5};
    BOOST_FAIL("expected shape_error for rank 5");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("5") != std::string::npos);
  }
  Shape grown{1, 2, 3, 4};
  BOOST_CHECK_THROW(grown.push_back(5), shape_error);
  BOOST_TEST(grown.rank() == 4);
}

BOOST_AUTO_TEST_CASE(negative_extent_throws_naming_it) {
  try {
    Shape s{2, -3};
    BOOST_FAIL("expected shape_error for a negative extent");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("-3") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(push_back_grows_the_rank) {
  Shape s;
  s.push_back(5);
  s.push_back(6);
  BOOST_TEST(s.rank() == 2);
  BOOST_TEST(s.numel() == 30);
  BOOST_TEST((s == Shape{5, 6}));
}

BOOST_AUTO_TEST_CASE(equality_compares_rank_and_extents) {
  BOOST_TEST((Shape{2, 3} == Shape{2, 3}));
  BOOST_TEST(!(Shape{2, 3} == Shape{3, 2}));
  BOOST_TEST(!(Shape{6} == Shape{6, 1}));
  BOOST_TEST((Shape{} == Shape{}));
}

BOOST_AUTO_TEST_CASE(to_string_lists_the_extents) {
  BOOST_TEST(Shape{}.to_string() == "[]");
  BOOST_TEST(Shape{7}.to_string() == "[7]");
  BOOST_TEST((Shape{2, 3, 4, 5}.to_string()) == "[2, 3, 4, 5]");
  std::ostringstream printed;
  printed << Shape{2, 3};
  BOOST_TEST(printed.str() == "[2, 3]");
}

BOOST_AUTO_TEST_CASE(extents_are_writable) {
  Shape s{2, 3};
  s[1] = 9;
  BOOST_TEST((s == Shape{2, 9}));
}

BOOST_AUTO_TEST_SUITE_END()
