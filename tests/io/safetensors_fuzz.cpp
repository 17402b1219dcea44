// Hostile input for the safetensors reader: every truncation, random byte
// mutations, garbage and random headers. Each input must be accepted or
// rejected with an adaptrec::error; a crash, hang or huge allocation fails the
// run. Hostile shapes and offsets are bounded by the file size before any
// allocation, so each case costs microseconds.
#include <adaptrec/io/json.hpp>
#include <adaptrec/io/safetensors.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace adaptrec;
using io::DType;
using io::Json;
using io::SafetensorsFile;
using io::SafetensorsWriter;

namespace {

std::string valid_file() {
  SafetensorsWriter writer;
  writer.add("tower.0.weight", Tensor<float>(Shape{2, 3}, {1, -2, 3, -4, 5, -6}));
  writer.add("half", Tensor<float>(Shape{4}, {0.5f, -1, 65504, 1e-5f}), DType::f16);
  writer.add("brain", Tensor<float>(Shape{3}, {1, 2, 3}), DType::bf16);
  writer.add("ids", Tensor<std::int64_t>(Shape{2}, {-1, 1 << 20}));
  writer.add("count", Tensor<std::int32_t>(Shape{}, {42}));
  writer.add("mask", Tensor<bool>(Shape{3}, std::vector<bool>{true, false, true}));
  writer.add("bytes", Tensor<std::uint8_t>(Shape{2}, {0, 255}));
  writer.add("shorts", Tensor<std::int16_t>(Shape{1, 1, 1, 1}, {-300}));
  writer.add("empty", Tensor<double>(Shape{0, 2}));
  writer.set_metadata("format", "pt");
  writer.set_metadata("note", "caf\xC3\xA9");
  return writer.to_bytes();
}

struct Outcome {
  int accepted = 0;
  int rejected = 0;
};

// Opens `bytes` and reads every tensor it lists in every way a caller might.
void open_and_read(const std::string& bytes) {
  const auto file = SafetensorsFile::from_bytes(bytes, "fuzz.safetensors");
  for (const std::string& name : file.names()) {
    try {
      (void)file.shape(name);
      (void)file.tensor<float>(name);
      (void)file.tensor<double>(name);
      if (!io::is_floating(file.dtype(name))) (void)file.tensor<std::int64_t>(name);
    } catch (const adaptrec::error&) {
      // Rank above four, or integers out of range: refused, not a crash.
    }
  }
  (void)file.metadata();
}

void expect_accepted_or_adaptrec_error(const std::string& bytes, Outcome& outcome,
                                       const std::string& label) {
  try {
    open_and_read(bytes);
    ++outcome.accepted;
  } catch (const adaptrec::error&) {
    ++outcome.rejected;
  } catch (const std::exception& e) {
    BOOST_ERROR(label << " threw a non-adaptrec exception: " << e.what());
  }
}

std::uint64_t header_length(const std::string& file) {
  return io::detail::load_little_endian<std::uint64_t>(file.data());
}

// Bytes that steer a mutation into the grammar: quotes, brackets, digits.
constexpr char interesting_bytes[] = "\"{}[],:0123456789-.eE\\u \t\n\x00\x7F\x80\xC3\xFF";
constexpr std::string_view interesting(interesting_bytes, sizeof interesting_bytes - 1);

}  // namespace

BOOST_AUTO_TEST_SUITE(io_safetensors_fuzz)

BOOST_AUTO_TEST_CASE(every_truncation_is_rejected) {
  const std::string valid = valid_file();
  BOOST_REQUIRE_NO_THROW(open_and_read(valid));
  for (std::size_t length = 0; length < valid.size(); ++length)
    BOOST_CHECK_THROW(SafetensorsFile::from_bytes(valid.substr(0, length), "cut"), io_error);
  BOOST_CHECK_THROW(SafetensorsFile::from_bytes(valid + '\0', "extended"), io_error);
}

BOOST_AUTO_TEST_CASE(single_byte_mutations) {
  const std::string valid = valid_file();
  const std::size_t header_end = 8 + static_cast<std::size_t>(header_length(valid));
  std::mt19937_64 rng(2024);
  Outcome outcome;
  for (int trial = 0; trial < 4000; ++trial) {
    std::string mutated = valid;
    // Three in four mutations hit the header, where the parsing happens.
    const std::size_t at = trial % 4 ? rng() % header_end : rng() % valid.size();
    mutated[at] = trial % 2 ? interesting[rng() % interesting.size()] : static_cast<char>(rng());
    expect_accepted_or_adaptrec_error(mutated, outcome, "mutation " + std::to_string(trial));
  }
  // Both outcomes occur: data bytes and some header bytes (inside a name or
  // the padding) can change without breaking the file.
  BOOST_TEST(outcome.accepted > 0);
  BOOST_TEST(outcome.rejected > 0);
}

BOOST_AUTO_TEST_CASE(insertions_deletions_and_hostile_length_prefixes) {
  const std::string valid = valid_file();
  std::mt19937_64 rng(99);
  Outcome outcome;
  for (int trial = 0; trial < 1000; ++trial) {
    std::string mutated = valid;
    const std::size_t at = rng() % mutated.size();
    if (trial % 2)
      mutated.insert(at, 1, interesting[rng() % interesting.size()]);
    else
      mutated.erase(at, 1 + rng() % 16);
    expect_accepted_or_adaptrec_error(mutated, outcome, "edit " + std::to_string(trial));
  }
  const std::uint64_t lengths[] = {0, 1, 7, 8, header_length(valid) - 1, header_length(valid) + 1,
                                   valid.size() - 8, valid.size() - 7, std::uint64_t{1} << 32,
                                   std::uint64_t{1} << 63, ~std::uint64_t{0}};
  for (std::uint64_t length : lengths) {
    std::string mutated = valid;
    io::detail::store_little_endian<std::uint64_t>(mutated.data(), length);
    expect_accepted_or_adaptrec_error(mutated, outcome, "length " + std::to_string(length));
  }
  BOOST_TEST(outcome.rejected > 0);
}

BOOST_AUTO_TEST_CASE(random_garbage) {
  std::mt19937_64 rng(7);
  Outcome outcome;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bytes(rng() % 200, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (trial % 2 && bytes.size() >= 8) {
      // A consistent length prefix, so the garbage reaches the JSON parser.
      io::detail::store_little_endian<std::uint64_t>(bytes.data(), rng() % (bytes.size() - 7));
      bytes[8 % bytes.size()] = '{';
    }
    expect_accepted_or_adaptrec_error(bytes, outcome, "garbage " + std::to_string(trial));
  }
  BOOST_TEST(outcome.rejected == 3000);
}

BOOST_AUTO_TEST_CASE(random_headers) {
  std::mt19937_64 rng(11);
  const auto pick = [&](const auto& options) { return options[rng() % std::size(options)]; };
  const std::string dtypes[] = {"F32", "F64", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL",
                                "U32", "F8_E4M3", "", "f32"};
  const std::int64_t extents[] = {0, 1, 2, 3, 7, -1, std::int64_t{1} << 31, std::int64_t{1} << 62,
                                  std::numeric_limits<std::int64_t>::max()};
  Outcome outcome;
  for (int trial = 0; trial < 3000; ++trial) {
    Json header = Json::object();
    std::size_t data_size = rng() % 64;
    std::int64_t offset = 0;
    const int tensors = static_cast<int>(rng() % 5);
    for (int t = 0; t < tensors; ++t) {
      const std::string dtype = pick(dtypes);
      Json shape = Json::array();
      const int rank = static_cast<int>(rng() % 7);
      std::int64_t numel = 1;
      for (int d = 0; d < rank; ++d) {
        const std::int64_t extent = rng() % 4 ? static_cast<std::int64_t>(rng() % 4) : pick(extents);
        shape.push_back(extent);
        numel = extent >= 0 && extent < 1024 ? numel * extent : numel;
      }
      const auto parsed = io::parse_dtype(dtype);
      const std::int64_t bytes =
          numel * static_cast<std::int64_t>(parsed ? io::dtype_size(*parsed) : 4);
      std::int64_t begin = offset;
      std::int64_t end = offset + bytes;
      if (rng() % 4 == 0) begin = pick(extents);
      if (rng() % 4 == 0) end = pick(extents);
      offset = end >= 0 && end < 4096 ? end : 0;
      Json info = Json::object();
      if (rng() % 16) info.set("dtype", dtype);
      if (rng() % 16) info.set("shape", rng() % 16 ? shape : Json(1.5));
      if (rng() % 16) info.set("data_offsets", Json::array({begin, end}));
      if (rng() % 32 == 0) info.set("extra", nullptr);
      header.set("t" + std::to_string(rng() % 6), std::move(info));
      if (rng() % 2) data_size = static_cast<std::size_t>(offset);
    }
    if (rng() % 4 == 0) {
      Json metadata = Json::object();
      metadata.set("k", rng() % 4 ? Json("v") : Json(3));
      header.set("__metadata__", std::move(metadata));
    }
    std::string text = header.dump();
    text.append(rng() % 8, ' ');
    std::string bytes(8, '\0');
    io::detail::store_little_endian<std::uint64_t>(bytes.data(), text.size());
    bytes += text;
    bytes.append(data_size, '\x01');
    expect_accepted_or_adaptrec_error(bytes, outcome, "header " + text);
  }
  // The generator makes enough well-formed headers to reach the readers too.
  BOOST_TEST(outcome.accepted > 50);
  BOOST_TEST(outcome.rejected > 50);
}

BOOST_AUTO_TEST_SUITE_END()
