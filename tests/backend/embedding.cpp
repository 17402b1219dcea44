#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/core/threads.hpp>

#include <support/expect_throw.hpp>
#include <support/random_tensor.hpp>
#include <support/thread_count.hpp>

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>
#include <tuple>
#include <vector>

using namespace adaptrec;
using adaptrec_test::contains;
using adaptrec_test::random_tensor;
using adaptrec_test::ThreadCount;

namespace {

using scalar_types = std::tuple<float, double>;

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_embedding)

BOOST_AUTO_TEST_CASE_TEMPLATE(gather_rows_copies_the_indexed_rows, T, scalar_types) {
  Rng rng(501);
  const Tensor<T> table = random_tensor<T>(Shape{10, 7}, rng);
  // [batch, seq] ids with repeats and both ends of the table.
  const Tensor<index_t> ids(Shape{2, 4}, {3, 0, 9, 3, 9, 9, 1, 0});
  Tensor<T> out(Shape{2, 4, 7});
  out.fill(T(-99));
  backend::gather_rows(table, ids, out);
  for (index_t i = 0; i < ids.size(); ++i)
    for (index_t c = 0; c < 7; ++c) BOOST_TEST(out[i * 7 + c] == table(ids[i], c));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(scatter_add_rows_accumulates_repeated_ids, T, scalar_types) {
  Rng rng(502);
  const Tensor<T> dy = random_tensor<T>(Shape{2, 4, 5}, rng);
  const Tensor<index_t> ids(Shape{2, 4}, {3, 0, 5, 3, 5, 5, 1, 0});
  const Tensor<T> grad0 = random_tensor<T>(Shape{6, 5}, rng);
  Tensor<T> grad = grad0;
  backend::scatter_add_rows(dy, ids, grad);
  // Reference in double, in the same order of accumulation.
  std::vector<double> expected(grad0.begin(), grad0.end());
  for (index_t i = 0; i < ids.size(); ++i)
    for (index_t c = 0; c < 5; ++c) expected[ids[i] * 5 + c] += double(dy[i * 5 + c]);
  for (index_t j = 0; j < grad.size(); ++j)
    BOOST_TEST(double(grad[j]) == expected[j],
               boost::test_tools::tolerance(std::is_same_v<T, float> ? 1e-6 : 1e-15));
  // Row 2 and 4 were never touched.
  for (index_t c = 0; c < 5; ++c) {
    BOOST_TEST(grad(2, c) == grad0(2, c));
    BOOST_TEST(grad(4, c) == grad0(4, c));
  }
}

BOOST_AUTO_TEST_CASE(gather_then_scatter_is_the_adjoint_pair) {
  // <gather(table), dy> == <table, scatter(dy)> for any table and dy.
  Rng rng(503);
  const Tensor<double> table = random_tensor<double>(Shape{8, 3}, rng);
  const Tensor<index_t> ids(Shape{6}, {7, 2, 2, 0, 7, 7});
  const Tensor<double> dy = random_tensor<double>(Shape{6, 3}, rng);
  Tensor<double> gathered(Shape{6, 3}), scattered(Shape{8, 3});
  backend::gather_rows(table, ids, gathered);
  backend::scatter_add_rows(dy, ids, scattered);
  double lhs = 0, rhs = 0;
  for (index_t i = 0; i < gathered.size(); ++i) lhs += gathered[i] * dy[i];
  for (index_t i = 0; i < table.size(); ++i) rhs += table[i] * scattered[i];
  BOOST_TEST(lhs == rhs, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(out_of_range_ids_throw_naming_id_and_position) {
  const Tensor<float> table(Shape{5, 3});
  Tensor<float> out(Shape{3, 3});
  struct Case {
    std::vector<index_t> ids;
    std::string id, position;
  };
  for (const Case& c : {Case{{0, -1, 2}, "id -1", "position 1"},
                        Case{{4, 1, 5}, "id 5", "position 2"}}) {
    const Tensor<index_t> ids(Shape{3}, c.ids);
    try {
      backend::gather_rows(table, ids, out);
      BOOST_FAIL("expected index_error from gather_rows");
    } catch (const index_error& e) {
      BOOST_TEST(contains(e.what(), c.id));
      BOOST_TEST(contains(e.what(), c.position));
      BOOST_TEST(contains(e.what(), "[5, 3]"));
    }
    Tensor<float> grad(Shape{5, 3});
    try {
      backend::scatter_add_rows(out, ids, grad);
      BOOST_FAIL("expected index_error from scatter_add_rows");
    } catch (const index_error& e) {
      BOOST_TEST(contains(e.what(), c.id));
      BOOST_TEST(contains(e.what(), c.position));
    }
    for (float g : grad) BOOST_TEST(g == 0.0f);  // nothing written before the throw
  }
}

BOOST_AUTO_TEST_CASE(one_and_two_threads_give_identical_results) {
  Rng rng(504);
  const Tensor<float> table = random_tensor<float>(Shape{1000, 64}, rng);
  Tensor<index_t> ids(Shape{4099});
  for (index_t i = 0; i < ids.size(); ++i) ids[i] = (i * 7919) % 1000;
  auto run = [&](int threads) {
    ThreadCount count(threads);
    Tensor<float> out(Shape{4099, 64});
    backend::gather_rows(table, ids, out);
    return out;
  };
  const Tensor<float> serial = run(1), threaded = run(2);
  BOOST_TEST(std::memcmp(serial.data(), threaded.data(), serial.bytes()) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
