#include <adaptrec/io/detail/tensor_codec.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

using namespace adaptrec;
using io::DType;

BOOST_AUTO_TEST_SUITE(io_tensor_codec)

BOOST_AUTO_TEST_CASE(half_and_bfloat16_bit_patterns_decode_exactly) {
  // Patterns from IEEE 754 binary16 and the bfloat16 definition.
  const std::vector<std::pair<std::uint16_t, double>> halves = {
      {0x3C00, 1.0},         {0xC000, -2.0},          {0x7BFF, 65504.0},
      {0x0400, 0x1p-14},     {0x0001, 0x1p-24},       {0x03FF, 1023 * 0x1p-24},
      {0x3555, 0.333251953125}, {0x8000, -0.0},       {0x7C00, INFINITY},
      {0xFC00, -INFINITY}};
  const std::vector<std::pair<std::uint16_t, double>> bfloats = {
      {0x3F80, 1.0},     {0xC040, -3.0},        {0x3EAB, 0.333984375}, {0x7F7F, 0x1.FEp127},
      {0x0080, 0x1p-126}, {0x0001, 0x1p-133},   {0x7F80, INFINITY},    {0x8000, -0.0}};
  const auto check = [](DType dtype, const std::vector<std::pair<std::uint16_t, double>>& cases) {
    std::string data;
    for (const auto& [bits, value] : cases) {
      data.push_back(static_cast<char>(bits & 0xFF));
      data.push_back(static_cast<char>(bits >> 8));
    }
    std::vector<float> f(cases.size());
    std::vector<double> d(cases.size());
    io::detail::decode_elements(dtype, data.data(), cases.size(), f.data());
    io::detail::decode_elements(dtype, data.data(), cases.size(), d.data());
    for (std::size_t i = 0; i < cases.size(); ++i) {
      BOOST_TEST(f[i] == static_cast<float>(cases[i].second));
      BOOST_TEST(std::signbit(f[i]) == std::signbit(cases[i].second));
      BOOST_TEST(d[i] == cases[i].second);
    }
    // And back: encoding the values gives the same bytes.
    std::string encoded(data.size(), '\0');
    io::detail::encode_elements(dtype, d.data(), d.size(), encoded.data());
    BOOST_TEST(encoded == data);
  };
  check(DType::f16, halves);
  check(DType::bf16, bfloats);
  BOOST_TEST(std::isnan(io::detail::half_bits_to_float(0x7E00)));
  BOOST_TEST(std::isnan(io::detail::bfloat16_bits_to_float(0xFFC1)));
}

BOOST_AUTO_TEST_CASE(narrowing_to_half_and_bfloat16_rounds_to_nearest_even) {
  using io::detail::double_to_bfloat16_bits;
  using io::detail::double_to_half_bits;
  BOOST_TEST(double_to_half_bits(1.0) == 0x3C00);
  BOOST_TEST(double_to_half_bits(1.0 + 0x1p-11) == 0x3C00);  // tie, to even
  BOOST_TEST(double_to_half_bits(1.0 + 3 * 0x1p-11) == 0x3C02);  // tie, to even
  BOOST_TEST(double_to_half_bits(1.0 + 0x1p-11 + 0x1p-40) == 0x3C01);  // a float would tie here
  BOOST_TEST(double_to_half_bits(65504.0) == 0x7BFF);
  BOOST_TEST(double_to_half_bits(65519.0) == 0x7BFF);
  BOOST_TEST(double_to_half_bits(65520.0) == 0x7C00);  // ties up to infinity
  BOOST_TEST(double_to_half_bits(-1e10) == 0xFC00);
  BOOST_TEST(double_to_half_bits(0x1p-25) == 0x0000);  // half the smallest subnormal: to even
  BOOST_TEST(double_to_half_bits(1.5 * 0x1p-25) == 0x0001);
  BOOST_TEST(double_to_half_bits(1.5 * 0x1p-24) == 0x0002);
  BOOST_TEST(double_to_half_bits(1023.5 * 0x1p-24) == 0x0400);  // rounds up into the normals
  BOOST_TEST(double_to_half_bits(-0.0) == 0x8000);
  BOOST_TEST(double_to_half_bits(1e-300) == 0x0000);
  BOOST_TEST(double_to_half_bits(std::numeric_limits<double>::denorm_min()) == 0x0000);
  BOOST_TEST(double_to_half_bits(INFINITY) == 0x7C00);
  BOOST_TEST((double_to_half_bits(NAN) & 0x7FFF) > 0x7C00);
  BOOST_TEST(double_to_bfloat16_bits(1.0 + 0x1p-8) == 0x3F80);
  BOOST_TEST(double_to_bfloat16_bits(1.0 + 3 * 0x1p-8) == 0x3F82);
  BOOST_TEST(double_to_bfloat16_bits(std::numeric_limits<float>::max()) == 0x7F80);
  BOOST_TEST(double_to_bfloat16_bits(-3.0) == 0xC040);
  BOOST_TEST(double_to_bfloat16_bits(0x1p-133) == 0x0001);
  BOOST_TEST((double_to_bfloat16_bits(-NAN) & 0x7FFF) > 0x7F80);

  // Exhaustively: every finite pattern survives widening and narrowing, and
  // widening agrees with the value the format defines.
  for (std::uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    const auto pattern = static_cast<std::uint16_t>(bits);
    const float half = io::detail::half_bits_to_float(pattern);
    const int exponent = static_cast<int>((bits >> 10) & 0x1F);
    const double magnitude =
        exponent == 0 ? std::ldexp(bits & 0x3FF, -24)
                      : std::ldexp((bits & 0x3FF) | 0x400, exponent - 25);
    if (exponent != 0x1F) {
      BOOST_TEST_REQUIRE(half == ((bits & 0x8000) ? -magnitude : magnitude));
      BOOST_TEST_REQUIRE(io::detail::double_to_half_bits(half) == pattern);
    }
    const float bfloat = io::detail::bfloat16_bits_to_float(pattern);
    if (!std::isnan(bfloat)) BOOST_TEST_REQUIRE(double_to_bfloat16_bits(bfloat) == pattern);
  }
}

BOOST_AUTO_TEST_CASE(byte_order_helpers) {
  BOOST_TEST(io::detail::byteswap<std::uint32_t>(0x11223344u) == 0x44332211u);
  BOOST_TEST(io::detail::byteswap<std::uint16_t>(0xA1B2) == 0xB2A1);
  char bytes[8];
  io::detail::store_little_endian<std::uint64_t>(bytes, 0x0102030405060708ull);
  BOOST_TEST(bytes[0] == 0x08);
  BOOST_TEST(bytes[7] == 0x01);
  BOOST_TEST(io::detail::load_little_endian<std::uint64_t>(bytes) == 0x0102030405060708ull);
}

BOOST_AUTO_TEST_CASE(integers_are_range_checked_both_ways) {
  const std::vector<std::int64_t> values = {-129, 5, 300};
  std::string bytes(values.size() * 8, '\0');
  io::detail::encode_elements(DType::i64, values.data(), values.size(), bytes.data());
  std::vector<std::int16_t> shorts(values.size());
  io::detail::decode_elements(DType::i64, bytes.data(), values.size(), shorts.data());
  BOOST_TEST(shorts == (std::vector<std::int16_t>{-129, 5, 300}), boost::test_tools::per_element());
  std::vector<std::int8_t> bytes8(values.size());
  BOOST_CHECK_THROW(io::detail::decode_elements(DType::i64, bytes.data(), values.size(), bytes8.data()),
                    io_error);
  std::string narrow(values.size(), '\0');
  BOOST_CHECK_THROW(io::detail::encode_elements(DType::u8, values.data(), values.size(), narrow.data()),
                    invalid_argument);
  // BOOL: any nonzero byte is true.
  const std::string flags("\x00\x01\x02", 3);
  std::vector<double> as_double(3);
  io::detail::decode_elements(DType::boolean, flags.data(), 3, as_double.data());
  BOOST_TEST(as_double == (std::vector<double>{0, 1, 1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
