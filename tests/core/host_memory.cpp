#include <adaptrec/core/host_memory.hpp>
#include <adaptrec/core/tensor.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>

using namespace adaptrec;
using detail::HostBlockCache;

BOOST_AUTO_TEST_SUITE(core_host_memory)

BOOST_AUTO_TEST_CASE(sizes_round_up_by_at_most_an_eighth_and_stay_aligned) {
  BOOST_TEST(HostBlockCache::rounded(1) == 64u);
  BOOST_TEST(HostBlockCache::rounded(HostBlockCache::min_bytes) == HostBlockCache::min_bytes);
  for (std::size_t bytes : {std::size_t(300000), std::size_t(4000000), std::size_t(12582912),
                            std::size_t(123456789)}) {
    const std::size_t r = HostBlockCache::rounded(bytes);
    BOOST_TEST(r >= bytes);
    BOOST_TEST(double(r) <= 1.125 * double(bytes) + 64.0, bytes);
    BOOST_TEST(r % 64 == 0u);
  }
  const auto buffer = detail::allocate_host<float>(1000003);
  BOOST_TEST(reinterpret_cast<std::uintptr_t>(buffer.get()) % 64 == 0u);
}

BOOST_AUTO_TEST_CASE(a_freed_large_block_serves_the_next_tensor_of_its_size_class) {
  release_cached_host_memory();
  const float* first = nullptr;
  {
    Tensor<float> a(Shape{1000, 1000});
    a.fill(3.0f);
    first = a.data();
  }
  BOOST_TEST(cached_host_memory_bytes() >= 4000000u);
  // Same class (4,000,000 and 3,996,000 bytes both round to 4 MiB).
  Tensor<float> b(Shape{999, 1000});
  BOOST_TEST(b.data() == first);
  BOOST_TEST(cached_host_memory_bytes() == 0u);
  // A reused block is zeroed like a fresh one for the zero-filling constructor.
  for (float v : b) BOOST_TEST_REQUIRE(v == 0.0f);
}

BOOST_AUTO_TEST_CASE(small_blocks_bypass_the_cache_and_release_empties_it) {
  release_cached_host_memory();
  { Tensor<float> small(Shape{16, 16}); }
  BOOST_TEST(cached_host_memory_bytes() == 0u);
  { Tensor<double> large(Shape{512, 512}); }
  BOOST_TEST(cached_host_memory_bytes() > 0u);
  release_cached_host_memory();
  BOOST_TEST(cached_host_memory_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(uninitialized_tensors_are_poisoned_in_tests) {
  // ADAPTREC_POISON_UNINITIALIZED is on for adaptrec's tests: an element no
  // kernel writes shows up as NaN.
  const auto t = Tensor<float>::uninitialized(Shape{3, 5});
  for (float v : t) BOOST_TEST(std::isnan(v));
  const auto ids = Tensor<index_t>::uninitialized(Shape{4});
  for (index_t v : ids) BOOST_TEST(v == std::numeric_limits<index_t>::max());
}

BOOST_AUTO_TEST_SUITE_END()
