#include <adaptrec/core/tensor.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace adaptrec;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

Tensor<float> iota(const Shape& shape) {
  Tensor<float> t(shape);
  for (index_t i = 0; i < t.size(); ++i) t[i] = static_cast<float>(i);
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(core_tensor)

BOOST_AUTO_TEST_CASE(new_tensor_is_zero_filled) {
  Tensor<float> t(Shape{3, 5, 7});
  BOOST_TEST(t.size() == 105);
  BOOST_TEST(t.rank() == 3);
  BOOST_TEST(t.device().is_cpu());
  for (float v : t) BOOST_TEST(v == 0.0f);
  Tensor<index_t> ids(Shape{4});
  for (index_t v : ids) BOOST_TEST(v == 0);
}

BOOST_AUTO_TEST_CASE(default_tensor_is_empty) {
  Tensor<double> t;
  BOOST_TEST(t.empty());
  BOOST_TEST(t.size() == 0);
  BOOST_TEST(t.data() == nullptr);
  BOOST_TEST(t.rows() == 0);
}

BOOST_AUTO_TEST_CASE(element_access_is_row_major) {
  Tensor<float> t = iota(Shape{2, 3, 4, 5});
  BOOST_TEST(t(1, 2, 3, 4) == 1 * 60 + 2 * 20 + 3 * 5 + 4);
  Tensor<float> m = iota(Shape{3, 4});
  BOOST_TEST(m(2, 1) == 9.0f);
  Tensor<float> c = iota(Shape{2, 3, 4});
  BOOST_TEST(c(1, 0, 3) == 15.0f);
}

BOOST_AUTO_TEST_CASE(dim_accepts_negative_indices_and_rejects_out_of_range) {
  Tensor<float> t(Shape{2, 3, 4});
  BOOST_TEST(t.dim(0) == 2);
  BOOST_TEST(t.dim(-1) == 4);
  BOOST_TEST(t.dim(-3) == 2);
  try {
    t.dim(3);
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(contains(e.what(), "[2, 3, 4]"));
  }
  BOOST_CHECK_THROW(t.dim(-4), shape_error);
}

BOOST_AUTO_TEST_CASE(copy_is_deep) {
  Tensor<float> a = iota(Shape{4, 3});
  Tensor<float> b(a);
  BOOST_TEST(b.data() != a.data());
  BOOST_TEST((b.shape() == a.shape()));
  BOOST_TEST(b.to_vector() == a.to_vector(), boost::test_tools::per_element());
  b[5] = -1.0f;
  BOOST_TEST(a[5] == 5.0f);

  Tensor<float> c(Shape{2});  // different size: reallocates
  c = a;
  BOOST_TEST(c.data() != a.data());
  BOOST_TEST((c.shape() == Shape{4, 3}));
  c[0] = 42.0f;
  BOOST_TEST(a[0] == 0.0f);

  Tensor<float> d(Shape{3, 4});  // same size, other shape: reuses its buffer
  d = a;
  BOOST_TEST((d.shape() == Shape{4, 3}));
  BOOST_TEST(d.to_vector() == a.to_vector(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(copying_an_empty_tensor_gives_an_empty_tensor) {
  Tensor<float> empty;
  Tensor<float> copy(empty);
  BOOST_TEST(copy.empty());
  Tensor<float> assigned = iota(Shape{3});
  assigned = empty;
  BOOST_TEST(assigned.empty());

  Tensor<float> no_rows(Shape{0, 5});
  Tensor<float> copy_no_rows(no_rows);
  BOOST_TEST((copy_no_rows.shape() == Shape{0, 5}));
  BOOST_TEST(copy_no_rows.empty());
}

BOOST_AUTO_TEST_CASE(move_leaves_the_source_empty) {
  Tensor<float> a = iota(Shape{2, 5});
  const float* storage = a.data();
  Tensor<float> b(std::move(a));
  BOOST_TEST(b.data() == storage);
  BOOST_TEST((b.shape() == Shape{2, 5}));
  BOOST_TEST(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  BOOST_TEST(a.rank() == 0);

  Tensor<float> c(Shape{7});
  c = std::move(b);
  BOOST_TEST(c.data() == storage);
  BOOST_TEST((c.shape() == Shape{2, 5}));
  BOOST_TEST(b.empty());  // NOLINT(bugprone-use-after-move)
  BOOST_TEST(c[9] == 9.0f);

  // A moved-from tensor can be copied and assigned again.
  Tensor<float> d(b);
  BOOST_TEST(d.empty());
  b = iota(Shape{3});
  BOOST_TEST(b[2] == 2.0f);
}

BOOST_AUTO_TEST_CASE(reshape_keeps_the_data) {
  Tensor<float> t = iota(Shape{2, 3, 4});
  const float* storage = t.data();
  t.reshape(Shape{6, 4});
  BOOST_TEST((t.shape() == Shape{6, 4}));
  BOOST_TEST(t.data() == storage);
  BOOST_TEST(t(5, 3) == 23.0f);

  const Tensor<float> r = t.reshaped(Shape{24});
  BOOST_TEST((r.shape() == Shape{24}));
  BOOST_TEST((t.shape() == Shape{6, 4}));  // lvalue reshaped copies
  BOOST_TEST(r.to_vector() == t.to_vector(), boost::test_tools::per_element());

  Tensor<float> moved = std::move(t).reshaped(Shape{2, 2, 2, 3});
  BOOST_TEST(moved.data() == storage);  // rvalue reshaped steals
  BOOST_TEST(moved(1, 1, 1, 2) == 23.0f);
}

BOOST_AUTO_TEST_CASE(reshape_to_another_size_throws_naming_both_shapes) {
  Tensor<float> t(Shape{2, 3});
  try {
    t.reshape(Shape{4, 2});
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(contains(e.what(), "[2, 3]"));
    BOOST_TEST(contains(e.what(), "[4, 2]"));
  }
  BOOST_TEST((t.shape() == Shape{2, 3}));
  BOOST_CHECK_THROW(t.reshaped(Shape{7}), shape_error);
}

BOOST_AUTO_TEST_CASE(matrix_view_flattens_leading_dimensions) {
  struct Case {
    Shape shape;
    index_t rows, cols;
  };
  const std::vector<Case> cases = {{Shape{}, 1, 1},          {Shape{5}, 1, 5},
                                   {Shape{3, 4}, 3, 4},      {Shape{2, 3, 4}, 6, 4},
                                   {Shape{2, 3, 4, 5}, 24, 5}, {Shape{0, 4}, 0, 4},
                                   {Shape{4, 0}, 4, 0}, {Shape{2, 3, 0}, 6, 0}};
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT("shape " << c.shape.to_string()) {
      Tensor<float> t = iota(c.shape);
      BOOST_TEST(t.rows() == c.rows);
      BOOST_TEST(t.cols() == c.cols);
      auto m = t.matrix();
      BOOST_TEST(m.rows() == c.rows);
      BOOST_TEST(m.cols() == c.cols);
      for (index_t r = 0; r < c.rows; ++r)
        for (index_t k = 0; k < c.cols; ++k) BOOST_TEST(m(r, k) == t[r * c.cols + k]);
      BOOST_TEST(t.flat().size() == t.size());
    }
  }
  // The view writes through to the tensor.
  Tensor<float> t(Shape{2, 2, 3});
  t.matrix()(3, 2) = 7.0f;
  BOOST_TEST(t(1, 1, 2) == 7.0f);
  const Tensor<float>& ct = t;
  BOOST_TEST(ct.matrix()(3, 2) == 7.0f);
}

BOOST_AUTO_TEST_CASE(full_fills_every_element) {
  const auto t = Tensor<double>::full(Shape{3, 2}, 2.5);
  BOOST_TEST(t.size() == 6);
  for (double v : t) BOOST_TEST(v == 2.5);
  Tensor<float> f(Shape{4});
  f.fill(-1.0f);
  for (float v : f) BOOST_TEST(v == -1.0f);
  f.set_zero();
  for (float v : f) BOOST_TEST(v == 0.0f);
}

BOOST_AUTO_TEST_CASE(cast_converts_each_element) {
  const Tensor<double> d(Shape{2, 2}, {1.25, -2.75, 3.5, 1e-3});
  const Tensor<float> f = d.cast<float>();
  BOOST_TEST((f.shape() == d.shape()));
  for (index_t i = 0; i < d.size(); ++i) BOOST_TEST(f[i] == static_cast<float>(d[i]));
  const Tensor<index_t> ids = d.cast<index_t>();
  BOOST_TEST(ids[0] == 1);
  BOOST_TEST(ids[1] == -2);  // truncation toward zero, as static_cast
  const Tensor<double> back = Tensor<float>(Shape{3}, {1.0f, 2.0f, 3.0f}).cast<double>();
  BOOST_TEST(back[2] == 3.0);
}

BOOST_AUTO_TEST_CASE(construction_from_values) {
  const Tensor<float> t(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  BOOST_TEST(t(1, 0) == 4.0f);
  BOOST_TEST(t.to_vector() == (std::vector<float>{1, 2, 3, 4, 5, 6}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(wrong_number_of_values_throws_naming_the_shape) {
  try {
    Tensor<float> t(Shape{2, 3}, std::vector<float>{1, 2, 3, 4, 5});
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(contains(e.what(), "[2, 3]"));
    BOOST_TEST(contains(e.what(), "5 values"));
  }
  BOOST_CHECK_THROW((Tensor<double>(Shape{2}, std::vector<double>{1, 2, 3})), shape_error);
}

BOOST_AUTO_TEST_CASE(storage_is_64_byte_aligned) {
  for (index_t n : {1, 3, 15, 16, 17, 100, 1001}) {
    Tensor<float> f(Shape{n});
    Tensor<double> d(Shape{n, 3});
    Tensor<std::int8_t> b(Shape{n});
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(f.data()) % 64 == 0u);
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(d.data()) % 64 == 0u);
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(b.data()) % 64 == 0u);
    Tensor<float> copy(f);
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(copy.data()) % 64 == 0u);
  }
}

BOOST_AUTO_TEST_CASE(cuda_tensor_throws_a_clear_error_in_this_build) {
  try {
    Tensor<float> t(Shape{2, 2}, Device::cuda(0));
    BOOST_FAIL("expected adaptrec::error");
  } catch (const shape_error&) {
    BOOST_FAIL("a device error is not a shape error");
  } catch (const error& e) {
    BOOST_TEST(contains(e.what(), "cuda:0"));
    BOOST_TEST(contains(e.what(), "CUDA"));
  }
  BOOST_TEST(Device::cuda(1).to_string() == "cuda:1");
  BOOST_TEST(Device::cpu().to_string() == "cpu");
  BOOST_TEST(!(Device::cpu() == Device::cuda()));
}

BOOST_AUTO_TEST_CASE(require_shape_and_rank_name_the_shapes) {
  Tensor<float> t(Shape{2, 3});
  BOOST_CHECK_NO_THROW(require_shape(t, Shape{2, 3}, "op"));
  try {
    require_shape(t, Shape{3, 2}, "my_op");
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(contains(e.what(), "my_op"));
    BOOST_TEST(contains(e.what(), "[3, 2]"));
    BOOST_TEST(contains(e.what(), "[2, 3]"));
  }
  try {
    require_rank(t, 3, "my_op");
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(contains(e.what(), "rank-3"));
    BOOST_TEST(contains(e.what(), "[2, 3]"));
  }
}

#ifndef NDEBUG
BOOST_AUTO_TEST_CASE(debug_builds_check_the_index_rank) {
  Tensor<float> t(Shape{2, 3, 4});
  try {
    t(1, 1);
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(contains(e.what(), "[2, 3, 4]"));
  }
  BOOST_CHECK_THROW(t(0, 0, 0, 0), shape_error);
  BOOST_CHECK_NO_THROW(t(1, 2, 3));
}
#endif

BOOST_AUTO_TEST_SUITE_END()
