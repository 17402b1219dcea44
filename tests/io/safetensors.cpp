#include <adaptrec/core/random.hpp>
#include <adaptrec/io/json.hpp>
#include <adaptrec/io/safetensors.hpp>

#include <support/expect_throw.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

using namespace adaptrec;
using io::DType;
using io::SafetensorsFile;
using io::SafetensorsWriter;
using adaptrec_test::contains;
using adaptrec_test::message_of;
using adaptrec_test::TempDir;

namespace {

std::string from_hex(std::string_view hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return bytes;
}

// A file from a header and a data section, the length prefix little-endian.
std::string file_bytes(const std::string& header, const std::string& data) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return bytes + header + data;
}

SafetensorsFile from_header(const std::string& header, const std::string& data) {
  return SafetensorsFile::from_bytes(file_bytes(header, data), "hand.safetensors");
}

template <class T>
bool same_bits(const Tensor<T>& a, const Tensor<T>& b) {
  return a.shape() == b.shape() && a.size() == b.size() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), a.bytes()) == 0);
}

// Written by the reference implementation (Python safetensors 0.8.0,
// safetensors.serialize) with metadata {"format": "pt"} and
//   ids: I64 [2] = {-5, 2^40}            scalar: F64 [] = 2.5
//   embedding.weight: F32 [2, 3] = {1, -2, 0.5, 3.25, -0.125, 1e-3}
//   brain: BF16 [2] = {1, -3}            half: F16 [3] = {1, -2, 0.333251953125}
//   mask: BOOL [3] = {true, false, true}
const std::string reference_file = from_hex(
    "90010000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c22696473223a7b22"
    "6474797065223a22493634222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c31365d7d2c"
    "227363616c6172223a7b226474797065223a22463634222c227368617065223a5b5d2c22646174615f6f666673657473"
    "223a5b31362c32345d7d2c22656d62656464696e672e776569676874223a7b226474797065223a22463332222c227368"
    "617065223a5b322c335d2c22646174615f6f666673657473223a5b32342c34385d7d2c22627261696e223a7b22647479"
    "7065223a2242463136222c227368617065223a5b325d2c22646174615f6f666673657473223a5b34382c35325d7d2c22"
    "68616c66223a7b226474797065223a22463136222c227368617065223a5b335d2c22646174615f6f666673657473223a"
    "5b35322c35385d7d2c226d61736b223a7b226474797065223a22424f4f4c222c227368617065223a5b335d2c22646174"
    "615f6f666673657473223a5b35382c36315d7d7d20202020fbffffffffffffff00000000000100000000000000000440"
    "0000803f000000c00000003f00005040000000be6f12833a803f40c0003c00c05535010001");

}  // namespace

BOOST_AUTO_TEST_SUITE(io_safetensors)

BOOST_AUTO_TEST_CASE(reads_a_file_from_the_reference_writer) {
  const auto file = SafetensorsFile::from_bytes(reference_file, "reference.safetensors");
  BOOST_TEST(file.names() == (std::vector<std::string>{"ids", "scalar", "embedding.weight", "brain",
                                                       "half", "mask"}),
             boost::test_tools::per_element());
  BOOST_TEST(file.metadata().at("format") == "pt");
  BOOST_TEST((file.dtype("half") == DType::f16));
  BOOST_TEST((file.shape("embedding.weight") == (Shape{2, 3})));
  BOOST_TEST((file.shape("scalar") == Shape{}));

  BOOST_TEST(file.tensor<std::int64_t>("ids").to_vector() == (std::vector<std::int64_t>{-5, std::int64_t{1} << 40}),
             boost::test_tools::per_element());
  BOOST_TEST(file.tensor<double>("scalar")[0] == 2.5);
  BOOST_TEST(file.tensor<float>("embedding.weight").to_vector() ==
                 (std::vector<float>{1.0f, -2.0f, 0.5f, 3.25f, -0.125f, 1e-3f}),
             boost::test_tools::per_element());
  BOOST_TEST(file.tensor<float>("brain").to_vector() == (std::vector<float>{1.0f, -3.0f}),
             boost::test_tools::per_element());
  BOOST_TEST(file.tensor<double>("half").to_vector() == (std::vector<double>{1.0, -2.0, 0.333251953125}),
             boost::test_tools::per_element());
  BOOST_TEST(file.tensor<float>("mask").to_vector() == (std::vector<float>{1, 0, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(file.tensor<std::int32_t>("mask")[1] == 0);
}

BOOST_AUTO_TEST_CASE(reads_a_header_laid_out_like_the_format_documentation) {
  // The README's example header, with whitespace, tensors listed out of data
  // order, metadata last and the 8-byte padding made of spaces.
  std::string data;
  for (int i = 0; i < 1 * 2 * 3; ++i) {  // F16 ones
    data.push_back('\x00');
    data.push_back('\x3C');
  }
  data += std::string("\x07\x00\x00\x00", 4);  // I32 7
  const std::string header =
      "{\n  \"NEXT_TENSOR_NAME\": {\"dtype\": \"I32\", \"shape\": [], \"data_offsets\": [12, 16]},\n"
      "  \"TENSOR_NAME\": {\"dtype\": \"F16\", \"shape\": [1, 2, 3], \"data_offsets\": [0, 12]},\n"
      "  \"__metadata__\": {\"format\": \"pt\"}\n}      ";
  const auto file = from_header(header, data);
  BOOST_TEST(file.names() == (std::vector<std::string>{"NEXT_TENSOR_NAME", "TENSOR_NAME"}),
             boost::test_tools::per_element());
  BOOST_TEST(file.tensor<std::int64_t>("NEXT_TENSOR_NAME")[0] == 7);
  const Tensor<float> ones = file.tensor<float>("TENSOR_NAME");
  BOOST_TEST((ones.shape() == Shape{1, 2, 3}));
  for (float v : ones) BOOST_TEST(v == 1.0f);
  BOOST_TEST(file.metadata().at("format") == "pt");
}

BOOST_AUTO_TEST_CASE(writes_the_same_bytes_as_the_reference_writer) {
  SafetensorsWriter writer;
  // Added in another order than the reference lays them out.
  writer.add("mask", Tensor<bool>(Shape{3}, std::vector<bool>{true, false, true}));
  writer.add("half", Tensor<float>(Shape{3}, {1.0f, -2.0f, 0.333251953125f}), DType::f16);
  writer.add("embedding.weight", Tensor<float>(Shape{2, 3}, {1.0f, -2.0f, 0.5f, 3.25f, -0.125f, 1e-3f}));
  writer.add("scalar", Tensor<double>(Shape{}, {2.5}));
  writer.add("brain", Tensor<double>(Shape{2}, {1.0, -3.0}), DType::bf16);
  writer.add("ids", Tensor<std::int64_t>(Shape{2}, {-5, std::int64_t{1} << 40}));
  writer.set_metadata("format", "pt");
  BOOST_TEST(writer.to_bytes() == reference_file);
}

BOOST_AUTO_TEST_CASE(round_trips_bit_exactly_for_every_rank) {
  TempDir dir;
  Rng rng(7);
  SafetensorsWriter writer;
  std::vector<Tensor<float>> floats;
  std::vector<Tensor<double>> doubles;
  std::vector<Tensor<std::int64_t>> ints;
  const std::vector<Shape> shapes = {Shape{}, Shape{5}, Shape{3, 4}, Shape{2, 3, 4}, Shape{2, 1, 3, 2},
                                     Shape{0}, Shape{3, 0}, Shape{0, 2, 0, 1}};
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    Tensor<double> d(shapes[i]);
    fill_normal(d, 0.0, 1e3, rng);
    Tensor<float> f = d.cast<float>();
    Tensor<std::int64_t> n(shapes[i]);
    for (auto& v : n) v = static_cast<std::int64_t>(rng());
    writer.add("float." + std::to_string(i), f);
    writer.add("double." + std::to_string(i), d);
    writer.add("int64." + std::to_string(i), n);
    floats.push_back(f);
    doubles.push_back(d);
    ints.push_back(n);
  }
  // Values a text format would mangle survive: signed zero, subnormals,
  // infinities and a NaN payload.
  Tensor<float> special(Shape{6}, {-0.0f, std::numeric_limits<float>::denorm_min(),
                                   std::numeric_limits<float>::infinity(),
                                   -std::numeric_limits<float>::infinity(),
                                   std::bit_cast<float>(0x7FC01234u), std::numeric_limits<float>::max()});
  writer.add("special", special);
  Tensor<std::int32_t> small_ints(Shape{3}, {std::numeric_limits<std::int32_t>::min(), 0,
                                             std::numeric_limits<std::int32_t>::max()});
  writer.add("int32", small_ints);
  writer.write(dir / "round.safetensors");
  BOOST_TEST(!std::filesystem::exists(dir / "round.safetensors.tmp"));

  const auto file = SafetensorsFile::open(dir / "round.safetensors");
  BOOST_TEST(file.size() == 3 * shapes.size() + 2);
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    BOOST_TEST_CONTEXT("shape " << shapes[i].to_string()) {
      BOOST_TEST((file.dtype("float." + std::to_string(i)) == DType::f32));
      BOOST_TEST((file.dtype("double." + std::to_string(i)) == DType::f64));
      BOOST_TEST((file.dtype("int64." + std::to_string(i)) == DType::i64));
      BOOST_TEST(same_bits(file.tensor<float>("float." + std::to_string(i)), floats[i]));
      BOOST_TEST(same_bits(file.tensor<double>("double." + std::to_string(i)), doubles[i]));
      BOOST_TEST(same_bits(file.tensor<std::int64_t>("int64." + std::to_string(i)), ints[i]));
    }
  }
  BOOST_TEST(same_bits(file.tensor<float>("special"), special));
  BOOST_TEST(same_bits(file.tensor<std::int32_t>("int32"), small_ints));
  // Widening on read: F32 into double, I32 into int64.
  BOOST_TEST(file.tensor<double>("float.2")[5] == static_cast<double>(floats[2][5]));
  BOOST_TEST(file.tensor<std::int64_t>("int32")[0] == std::numeric_limits<std::int32_t>::min());
}

BOOST_AUTO_TEST_CASE(names_with_dots_escapes_and_unicode) {
  const std::vector<std::string> names = {"tower.0.weight", "\xE5\xB5\x8C\xE5\x85\xA5.\xE6\x9D\x83\xE9\x87\x8D",
                                          "emoji\xF0\x9F\x98\x80", "quote\"back\\slash", "new\nline", ""};
  SafetensorsWriter writer;
  for (std::size_t i = 0; i < names.size(); ++i)
    writer.add(names[i], Tensor<float>(Shape{1}, {static_cast<float>(i)}));
  const auto file = SafetensorsFile::from_bytes(writer.to_bytes(), "names");
  for (std::size_t i = 0; i < names.size(); ++i) {
    BOOST_TEST(file.contains(names[i]));
    BOOST_TEST(file.tensor<float>(names[i])[0] == static_cast<float>(i));
  }
  BOOST_TEST(contains(message_of<io_error>([&] { file.tensor<float>("tower.1.weight"); }),
                      "names: no tensor named \"tower.1.weight\""));
}

BOOST_AUTO_TEST_CASE(layout_is_aligned_and_padded) {
  SafetensorsWriter writer;
  writer.add("b_byte", Tensor<std::uint8_t>(Shape{3}, {1, 2, 3}));
  writer.add("a_half", Tensor<float>(Shape{1}, {1.0f}), DType::f16);
  writer.add("c_double", Tensor<double>(Shape{2}, {1.0, 2.0}));
  writer.add("d_float", Tensor<float>(Shape{3}, {1, 2, 3}));
  writer.set_metadata("note", "x");
  const std::string bytes = writer.to_bytes();
  std::uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  BOOST_TEST(header_length % 8 == 0u);
  const std::string header = bytes.substr(8, header_length);
  BOOST_TEST((header.back() == '}' || header.back() == ' '));
  const io::Json json = io::parse_json(header);
  std::vector<std::string> order;
  for (const auto& [name, info] : json.as_object()) {
    order.push_back(name);
    if (name == "__metadata__") continue;
    const auto begin = info.at("data_offsets").at(std::size_t{0}).as_int();
    const auto size = io::dtype_size(*io::parse_dtype(info.at("dtype").as_string()));
    BOOST_TEST(begin % static_cast<std::int64_t>(size) == 0);
  }
  BOOST_TEST(order == (std::vector<std::string>{"__metadata__", "c_double", "d_float", "a_half", "b_byte"}),
             boost::test_tools::per_element());
  const auto file = SafetensorsFile::from_bytes(bytes, "layout");
  BOOST_TEST(file.names() == (std::vector<std::string>{"c_double", "d_float", "a_half", "b_byte"}),
             boost::test_tools::per_element());
  BOOST_TEST(file.metadata().at("note") == "x");
}

BOOST_AUTO_TEST_CASE(conversions_that_lose_information_are_refused) {
  SafetensorsWriter writer;
  writer.add("floats", Tensor<float>(Shape{2}, {1.5f, 2.0f}));
  writer.add("big", Tensor<std::int64_t>(Shape{2}, {1, std::int64_t{1} << 40}));
  writer.add("small", Tensor<std::int64_t>(Shape{2}, {-128, 127}));
  const auto file = SafetensorsFile::from_bytes(writer.to_bytes(), "conv.safetensors");
  const std::string m = message_of<io_error>([&] { file.tensor<std::int64_t>("floats"); });
  BOOST_TEST(contains(m, "conv.safetensors: tensor \"floats\""));
  BOOST_TEST(contains(m, "cannot read F32 data as I64"));
  const std::string narrow = message_of<io_error>([&] { file.tensor<std::int32_t>("big"); });
  BOOST_TEST(contains(narrow, "tensor \"big\""));
  BOOST_TEST(contains(narrow, "1099511627776"));
  BOOST_TEST(file.tensor<std::int8_t>("small")[0] == -128);
  BOOST_TEST(file.tensor<double>("big")[1] == 1099511627776.0);

  SafetensorsWriter bad;
  BOOST_TEST(contains(message_of<invalid_argument>([&] {
                        bad.add("w", Tensor<double>(Shape{1}, {0.5}), DType::i32);
                      }),
                      "tensor \"w\": floating-point values do not convert to I32"));
  BOOST_TEST(contains(message_of<invalid_argument>([&] {
                        bad.add("i", Tensor<std::int64_t>(Shape{2}, {1, 300}), DType::i8);
                      }),
                      "value 300 at element 1 does not fit in I8"));
  BOOST_TEST(contains(message_of<invalid_argument>([&] {
                        bad.add("m", Tensor<std::int32_t>(Shape{1}, {2}), DType::boolean);
                      }),
                      "does not fit in BOOL"));
  BOOST_TEST(bad.size() == 0u);  // failed adds leave nothing behind
}

BOOST_AUTO_TEST_CASE(writer_rejects_bad_names_and_tensors) {
  SafetensorsWriter writer;
  writer.add("w", Tensor<float>(Shape{1}));
  BOOST_TEST(contains(message_of<invalid_argument>([&] { writer.add("w", Tensor<float>(Shape{2})); }),
                      "tensor \"w\": added twice"));
  BOOST_CHECK_THROW(writer.add("__metadata__", Tensor<float>(Shape{1})), invalid_argument);
  BOOST_CHECK_THROW(writer.add(std::string("bad\xFF"), Tensor<float>(Shape{1})), invalid_argument);
  Tensor<float> moved_from(Shape{2});
  Tensor<float> thief = std::move(moved_from);
  BOOST_TEST(contains(message_of<invalid_argument>([&] { writer.add("empty", moved_from); }),
                      "no storage"));
  BOOST_TEST(writer.size() == 1u);
  BOOST_TEST(writer.contains("w"));
}

BOOST_AUTO_TEST_CASE(write_replaces_files_atomically) {
  TempDir dir;
  const auto path = dir / "model.safetensors";
  SafetensorsWriter first;
  first.add("a", Tensor<float>(Shape{1}, {1.0f}));
  first.write(path);
  SafetensorsWriter second;
  second.add("b", Tensor<float>(Shape{1}, {2.0f}));
  const auto before = SafetensorsFile::open(path);
  second.write(path);
  BOOST_TEST(SafetensorsFile::open(path).names() == std::vector<std::string>{"b"});
  BOOST_TEST(before.tensor<float>("a")[0] == 1.0f);  // the opened copy is unaffected
  BOOST_TEST(!std::filesystem::exists(dir / "model.safetensors.tmp"));

  const auto unwritable = dir / "no" / "such" / "folder" / "x.safetensors";
  BOOST_TEST(contains(message_of<io_error>([&] { first.write(unwritable); }), unwritable.string()));
  BOOST_TEST(contains(message_of<io_error>([&] { SafetensorsFile::open(dir / "absent.safetensors"); }),
                      "absent.safetensors"));
  BOOST_TEST(contains(message_of<io_error>([&] { SafetensorsFile::open(dir.path()); }), "directory"));
}

BOOST_AUTO_TEST_CASE(rank_above_four_throws_naming_the_tensor_only_when_used) {
  const std::string header =
      R"({"deep":{"dtype":"F32","shape":[1,1,1,1,2],"data_offsets":[0,8]},)"
      R"("ok":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  const auto file = from_header(header, std::string(12, '\0'));
  BOOST_TEST(file.contains("deep"));
  BOOST_TEST(file.tensor<float>("ok")[0] == 0.0f);
  const std::string m = message_of<io_error>([&] { file.shape("deep"); });
  BOOST_TEST(contains(m, "hand.safetensors: tensor \"deep\""));
  BOOST_TEST(contains(m, "[1, 1, 1, 1, 2] has rank 5"));
  BOOST_CHECK_THROW(file.tensor<float>("deep"), io_error);
}

BOOST_AUTO_TEST_CASE(read_into_checks_the_destination_shape) {
  SafetensorsWriter writer;
  writer.add("w", Tensor<float>(Shape{2, 3}, {1, 2, 3, 4, 5, 6}));
  const auto file = SafetensorsFile::from_bytes(writer.to_bytes(), "into");
  Tensor<double> out(Shape{2, 3});
  file.read_into("w", out);
  BOOST_TEST(out(1, 2) == 6.0);
  Tensor<double> wrong(Shape{3, 2});
  const std::string m = message_of<shape_error>([&] { file.read_into("w", wrong); });
  BOOST_TEST(contains(m, "[2, 3]"));
  BOOST_TEST(contains(m, "[3, 2]"));
}

BOOST_AUTO_TEST_CASE(malformed_files_name_the_file_and_tensor) {
  const std::string data8(8, '\0');
  const auto tensor = [](const std::string& name, const std::string& body) {
    return "{\"" + name + "\":" + body + "}";
  };
  struct Case {
    std::string header;
    std::string data;
    std::string expected;
  };
  const Case cases[] = {
      {tensor("w", R"({"dtype":"U32","shape":[2],"data_offsets":[0,8]})"), data8,
       "tensor \"w\": unsupported dtype \"U32\""},
      {tensor("w", R"({"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]})"), data8,
       "tensor \"w\": unsupported dtype \"F8_E4M3\""},
      {tensor("w", R"({"dtype":3,"shape":[2],"data_offsets":[0,8]})"), data8,
       "tensor \"w\": dtype must be a string"},
      {tensor("w", R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"), data8,
       "tensor \"w\": shape must hold non-negative integers, found -2"},
      {tensor("w", R"({"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})"), data8,
       "found 2.0"},
      {tensor("w", R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})"), data8,
       "tensor \"w\": shape must be an array"},
      {tensor("w", R"({"dtype":"F32","shape":[2],"data_offsets":[0,16]})"), data8,
       "tensor \"w\": data_offsets [0, 16] reach past the 8-byte data section"},
      {tensor("w", R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})"), data8,
       "end before they begin"},
      {tensor("w", R"({"dtype":"F32","shape":[2],"data_offsets":[0]})"), data8,
       "data_offsets must be an array [begin, end]"},
      {tensor("w", R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), data8,
       "tensor \"w\": shape [3] of F32 needs 12 bytes, but data_offsets [0, 8] span 8"},
      {tensor("w", R"({"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]})"), data8,
       "needs too many bytes"},
      {tensor("w", R"({"dtype":"F32","shape":[9223372036854775807,2,0],"data_offsets":[0,0]})"), data8,
       "needs too many bytes"},
      {tensor("w", R"({"dtype":"F32","shape":[2]})"), data8, "tensor \"w\": missing field \"data_offsets\""},
      {tensor("w", R"({"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1})"), data8,
       "tensor \"w\": unknown field \"extra\""},
      {tensor("w", R"([1,2])"), data8, "tensor \"w\": expected an object"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
       data8, "tensor \"b\": data overlaps tensor \"a\""},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", data8,
       "tensor \"a\": bytes 0 to 4 of the data section before it belong to no tensor"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", data8,
       "the last 4 bytes of the data section belong to no tensor"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
       data8, "duplicate key \"a\""},
      {R"({"__metadata__":{"format":1}})", "", "__metadata__ entry \"format\" must be a string"},
      {R"({"__metadata__":[]})", "", "__metadata__ must be an object"},
      {R"([])", "", "the header is not a JSON object"},
      {R"({"a":)", "", "hand.safetensors header:1:6: unexpected end of input"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT("header " << c.header) {
      const std::string m = message_of<io_error>([&] { from_header(c.header, c.data); });
      BOOST_TEST(m.starts_with("hand.safetensors"), m);
      BOOST_TEST(contains(m, c.expected), m);
    }
  }
  // An empty file of tensors is fine; metadata alone too.
  BOOST_TEST(from_header("{}", "").size() == 0u);
  BOOST_TEST(from_header(R"({"__metadata__":{"k":"v"}}  )", "").metadata().at("k") == "v");
  // Empty tensors may sit anywhere that does not split another tensor.
  const auto with_empty = from_header(R"({"e":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]},)"
                                     R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                                     data8);
  BOOST_TEST((with_empty.tensor<float>("e").shape() == Shape{0, 3}));
}

BOOST_AUTO_TEST_CASE(length_prefix_is_checked_against_the_file) {
  const auto open = [](const std::string& bytes) {
    return message_of<io_error>([&] { SafetensorsFile::from_bytes(bytes, "f.safetensors"); });
  };
  BOOST_TEST(contains(open(""), "f.safetensors: 0 bytes is too short"));
  BOOST_TEST(contains(open(std::string("\x02\x00\x00", 3)), "3 bytes is too short"));
  std::string huge(8, '\xFF');
  huge += "{}";
  BOOST_TEST(contains(open(huge), "header length 18446744073709551615 exceeds the limit of 100000000"));
  std::string over = file_bytes("{}", "");
  over[0] = 3;
  BOOST_TEST(contains(open(over), "header length 3 exceeds the 2 bytes after it"));
  std::string past_limit = file_bytes("{}", "");
  io::detail::store_little_endian<std::uint64_t>(past_limit.data(), 100'000'001);
  BOOST_TEST(contains(open(past_limit), "exceeds the limit"));
  BOOST_TEST(contains(open(file_bytes("", "")), "not a JSON object"));
  BOOST_TEST(contains(open(file_bytes(" {}", "")), "not a JSON object"));
}

BOOST_AUTO_TEST_SUITE_END()
