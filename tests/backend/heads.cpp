#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>

#include <support/expect_throw.hpp>
#include <support/random_tensor.hpp>
#include <support/thread_count.hpp>

#include <boost/test/unit_test.hpp>

#include <tuple>

using namespace adaptrec;
using adaptrec_test::random_tensor;

BOOST_AUTO_TEST_SUITE(backend_heads)

using scalar_types = std::tuple<float, double>;

BOOST_AUTO_TEST_CASE_TEMPLATE(split_heads_matches_index_definition, T, scalar_types) {
  Rng rng(801);
  const index_t batch = 3, seq = 5, heads = 4, dim = 3;
  const Tensor<T> x = random_tensor<T>(Shape{batch, seq, heads * dim}, rng);
  Tensor<T> split(Shape{batch, heads, seq, dim});
  backend::split_heads(x, heads, split);
  for (index_t b = 0; b < batch; ++b)
    for (index_t h = 0; h < heads; ++h)
      for (index_t i = 0; i < seq; ++i)
        for (index_t c = 0; c < dim; ++c) BOOST_TEST(split(b, h, i, c) == x(b, i, h * dim + c));

  Tensor<T> merged(x.shape());
  backend::merge_heads(split, merged);
  BOOST_TEST(merged.to_vector() == x.to_vector(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(merge_heads_matches_index_definition) {
  Rng rng(802);
  const Tensor<double> x = random_tensor<double>(Shape{2, 3, 4, 5}, rng);
  Tensor<double> merged(Shape{2, 4, 15});
  backend::merge_heads(x, merged);
  for (index_t b = 0; b < 2; ++b)
    for (index_t h = 0; h < 3; ++h)
      for (index_t i = 0; i < 4; ++i)
        for (index_t c = 0; c < 5; ++c) BOOST_TEST(merged(b, i, h * 5 + c) == x(b, h, i, c));
}

BOOST_AUTO_TEST_CASE(one_head_and_empty_batch) {
  Rng rng(803);
  const Tensor<float> x = random_tensor<float>(Shape{2, 3, 4}, rng);
  Tensor<float> one(Shape{2, 1, 3, 4});
  backend::split_heads(x, 1, one);
  BOOST_TEST(one.to_vector() == x.to_vector(), boost::test_tools::per_element());
  const Tensor<float> empty(Shape{0, 3, 4});
  Tensor<float> empty_split(Shape{0, 2, 3, 2}), empty_merged(Shape{0, 3, 4});
  backend::split_heads(empty, 2, empty_split);
  backend::merge_heads(empty_split, empty_merged);
}

BOOST_AUTO_TEST_CASE(one_and_two_threads_agree) {
  Rng rng(804);
  const Tensor<float> x = random_tensor<float>(Shape{8, 64, 96}, rng);  // above the grain
  auto run = [&](int threads) {
    adaptrec_test::ThreadCount count(threads);
    Tensor<float> split(Shape{8, 12, 64, 8}), merged(x.shape());
    backend::split_heads(x, 12, split);
    backend::merge_heads(split, merged);
    return std::pair{split, merged};
  };
  const auto serial = run(1), threaded = run(2);
  BOOST_TEST(serial.first.to_vector() == threaded.first.to_vector(),
             boost::test_tools::per_element());
  BOOST_TEST(threaded.second.to_vector() == x.to_vector(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bad_shapes_name_the_shapes_and_heads) {
  using adaptrec_test::require_throw_naming;
  const Tensor<float> x(Shape{2, 3, 12});
  Tensor<float> out(Shape{2, 4, 3, 3});
  require_throw_naming<shape_error>([&] { backend::split_heads(x, 5, out); },
                                    {"split_heads", "[2, 3, 12]", "heads=5"});
  require_throw_naming<shape_error>([&] { backend::split_heads(x, 0, out); },
                                    {"split_heads", "heads=0"});
  Tensor<float> transposed(Shape{2, 3, 4, 3});
  require_throw_naming<shape_error>([&] { backend::split_heads(x, 4, transposed); },
                                    {"split_heads", "[2, 3, 4, 3]"});
  require_throw_naming<shape_error>(
      [&] {
        Tensor<float> flat(Shape{6, 12});
        backend::split_heads(flat, 4, out);
      },
      {"split_heads", "[6, 12]"});
  Tensor<float> merged(Shape{2, 3, 11});
  require_throw_naming<shape_error>([&] { backend::merge_heads(out, merged); },
                                    {"merge_heads", "[2, 4, 3, 3]", "[2, 3, 11]"});
  require_throw_naming<shape_error>([&] { backend::merge_heads(x, merged); },
                                    {"merge_heads", "[2, 3, 12]"});
}

BOOST_AUTO_TEST_SUITE_END()
