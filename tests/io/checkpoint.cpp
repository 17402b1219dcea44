#include <adaptrec/io/checkpoint.hpp>
#include <adaptrec/layers/linear.hpp>

#include <support/expect_throw.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using namespace adaptrec;
using io::DType;
using io::LoadOptions;
using io::ParameterSelection;
using adaptrec_test::contains;
using adaptrec_test::message_of;
using adaptrec_test::TempDir;

namespace {

// Two stacked Linear layers visited as tower.0 and tower.1, like a PyTorch
// nn.Sequential named `tower`.
template <class T>
class Tower : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<T>;
  using output_type = Tensor<T>;

  Tower(index_t in, index_t hidden, index_t out, std::uint64_t seed)
      : rng_(seed), first_(in, hidden, rng_), second_(hidden, out, rng_) {}

  Tensor<T> forward(const Tensor<T>& x) { return second_.forward(first_.forward(x)); }
  Tensor<T> backward(const Tensor<T>& dy) { return first_.backward(second_.backward(dy)); }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    first_.visit_parameters(f, join_name(prefix, "tower.0"));
    second_.visit_parameters(f, join_name(prefix, "tower.1"));
  }

  layers::Linear<T>& first() { return first_; }
  layers::Linear<T>& second() { return second_; }

 private:
  Rng rng_;
  layers::Linear<T> first_;
  layers::Linear<T> second_;
};

static_assert(Module<Tower<float>>);

template <class T>
bool same_bits(const Tensor<T>& a, const Tensor<T>& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.bytes()) == 0;
}

template <class A, class B>
bool same_values(A& a, B& b) {
  const auto pa = collect_parameters(a);
  const auto pb = collect_parameters(b);
  if (pa.size() != pb.size()) return false;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    if (pa[i].name != pb[i].name || !(pa[i].parameter->shape() == pb[i].parameter->shape()))
      return false;
    for (index_t k = 0; k < pa[i].parameter->size(); ++k)
      if (static_cast<double>(pa[i].parameter->value[k]) != static_cast<double>(pb[i].parameter->value[k]))
        return false;
  }
  return true;
}

const std::vector<std::string> all_names = {"tower.0.weight", "tower.0.bias", "tower.1.weight",
                                            "tower.1.bias"};

}  // namespace

BOOST_AUTO_TEST_SUITE(io_checkpoint)

BOOST_AUTO_TEST_CASE(round_trip_restores_every_parameter_bit_exactly) {
  TempDir dir;
  Tower<float> saved(4, 3, 2, 1);
  io::save_checkpoint(saved, dir / "model.safetensors", ParameterSelection::all, {{"epoch", "3"}});
  Tower<float> restored(4, 3, 2, 2);
  BOOST_TEST(!same_values(saved, restored));
  const io::LoadReport report = io::load_checkpoint(restored, dir / "model.safetensors");
  BOOST_TEST(report.loaded == all_names, boost::test_tools::per_element());
  BOOST_TEST(report.missing.empty());
  BOOST_TEST(report.unexpected.empty());
  BOOST_TEST(same_bits(saved.first().weight().value, restored.first().weight().value));
  BOOST_TEST(same_bits(saved.second().bias().value, restored.second().bias().value));

  const auto file = io::SafetensorsFile::open(dir / "model.safetensors");
  BOOST_TEST((file.dtype("tower.0.weight") == DType::f32));
  BOOST_TEST((file.shape("tower.0.weight") == (Shape{3, 4})));
  BOOST_TEST(file.metadata().at("epoch") == "3");
  BOOST_TEST(file.metadata().at("adaptrec.parameters") == "all");
}

BOOST_AUTO_TEST_CASE(double_modules_and_dtype_conversion) {
  TempDir dir;
  Tower<double> precise(3, 2, 1, 3);
  io::save_checkpoint(precise, dir / "f64.safetensors");
  BOOST_TEST((io::SafetensorsFile::open(dir / "f64.safetensors").dtype("tower.1.weight") == DType::f64));
  Tower<double> reloaded(3, 2, 1, 4);
  io::load_checkpoint(reloaded, dir / "f64.safetensors");
  BOOST_TEST(same_bits(precise.first().weight().value, reloaded.first().weight().value));

  // An F32 checkpoint into a double module, and an F64 one into a float module.
  Tower<float> single(3, 2, 1, 5);
  io::save_checkpoint(single, dir / "f32.safetensors");
  io::load_checkpoint(reloaded, dir / "f32.safetensors");
  BOOST_TEST(same_values(single, reloaded));
  io::load_checkpoint(single, dir / "f64.safetensors");
  BOOST_TEST(single.first().weight().value[0] == static_cast<float>(precise.first().weight().value[0]));

  // A BF16 file, as pretrained weights often are, widens exactly.
  io::SafetensorsWriter writer;
  for (auto& [name, parameter] : collect_parameters(precise))
    writer.add(name, parameter->value, DType::bf16);
  writer.write(dir / "bf16.safetensors");
  io::load_checkpoint(single, dir / "bf16.safetensors");
  const double w = precise.first().weight().value[0];
  BOOST_TEST(single.first().weight().value[0] ==
             io::detail::bfloat16_bits_to_float(io::detail::double_to_bfloat16_bits(w)));
}

BOOST_AUTO_TEST_CASE(trainable_only_checkpoints) {
  TempDir dir;
  Tower<float> model(4, 3, 2, 6);
  set_trainable(model.first(), false);  // a frozen base, like a pretrained encoder
  io::save_checkpoint(model, dir / "adapter.safetensors", ParameterSelection::trainable);
  const auto file = io::SafetensorsFile::open(dir / "adapter.safetensors");
  BOOST_TEST(file.names() == (std::vector<std::string>{"tower.1.bias", "tower.1.weight"}),
             boost::test_tools::per_element());
  BOOST_TEST(file.metadata().at("adaptrec.parameters") == "trainable");

  Tower<float> other(4, 3, 2, 7);
  set_trainable(other.first(), false);
  const Tensor<float> frozen_before = other.first().weight().value;
  const auto report =
      io::load_checkpoint(other, dir / "adapter.safetensors", {ParameterSelection::trainable});
  BOOST_TEST(report.loaded == (std::vector<std::string>{"tower.1.weight", "tower.1.bias"}),
             boost::test_tools::per_element());
  BOOST_TEST(same_bits(other.second().weight().value, model.second().weight().value));
  BOOST_TEST(same_bits(other.first().weight().value, frozen_before));

  // Selecting all parameters expects the frozen ones too, and says why they
  // are absent.
  const std::string m = message_of<io_error>([&] {
    io::load_checkpoint(other, dir / "adapter.safetensors");
  });
  BOOST_TEST(contains(m, (dir / "adapter.safetensors").string()));
  BOOST_TEST(contains(m, "missing \"tower.0.weight\", \"tower.0.bias\""));
  BOOST_TEST(contains(m, "saved with the trainable parameters selected"));

  // A full checkpoint loaded as trainable-only has unexpected tensors.
  io::save_checkpoint(model, dir / "full.safetensors");
  const std::string u = message_of<io_error>([&] {
    io::load_checkpoint(other, dir / "full.safetensors", {ParameterSelection::trainable});
  });
  BOOST_TEST(contains(u, "unexpected \"tower.0.bias\", \"tower.0.weight\""));
  const auto lenient = io::load_checkpoint(other, dir / "full.safetensors",
                                           {ParameterSelection::trainable, /*strict=*/false});
  BOOST_TEST(lenient.loaded.size() == 2u);
  BOOST_TEST(lenient.unexpected.size() == 2u);
  BOOST_TEST(same_bits(other.first().weight().value, frozen_before));  // not selected, not loaded
}

BOOST_AUTO_TEST_CASE(strict_and_lenient_loading) {
  TempDir dir;
  Tower<float> model(2, 2, 2, 8);
  io::SafetensorsWriter writer;
  writer.add("tower.0.weight", model.first().weight().value);
  writer.add("tower.0.bias", model.first().bias().value);
  writer.add("head.weight", Tensor<float>(Shape{1, 2}));
  writer.write(dir / "partial.safetensors");

  Tower<float> target(2, 2, 2, 9);
  const Tensor<float> untouched = target.second().weight().value;
  const std::string m = message_of<io_error>([&] { io::load_checkpoint(target, dir / "partial.safetensors"); });
  BOOST_TEST(contains(m, "missing \"tower.1.weight\", \"tower.1.bias\""));
  BOOST_TEST(contains(m, "unexpected \"head.weight\""));
  BOOST_TEST(contains(m, "strict = false"));
  BOOST_TEST(!same_bits(target.first().weight().value, model.first().weight().value));  // unchanged

  const auto report = io::load_checkpoint(target, dir / "partial.safetensors", {ParameterSelection::all, false});
  BOOST_TEST(report.loaded == (std::vector<std::string>{"tower.0.weight", "tower.0.bias"}),
             boost::test_tools::per_element());
  BOOST_TEST(report.missing == (std::vector<std::string>{"tower.1.weight", "tower.1.bias"}),
             boost::test_tools::per_element());
  BOOST_TEST(report.unexpected == std::vector<std::string>{"head.weight"}, boost::test_tools::per_element());
  BOOST_TEST(same_bits(target.first().weight().value, model.first().weight().value));
  BOOST_TEST(same_bits(target.second().weight().value, untouched));
}

BOOST_AUTO_TEST_CASE(shape_mismatch_names_tensor_file_and_both_shapes) {
  TempDir dir;
  Tower<float> wide(5, 3, 2, 10);
  io::save_checkpoint(wide, dir / "wide.safetensors");
  Tower<float> narrow(4, 3, 2, 11);
  const Tensor<float> second_before = narrow.second().weight().value;
  for (const bool strict : {true, false}) {
    const std::string m = message_of<io_error>([&] {
      io::load_checkpoint(narrow, dir / "wide.safetensors", {ParameterSelection::all, strict});
    });
    BOOST_TEST(contains(m, (dir / "wide.safetensors").string()));
    BOOST_TEST(contains(m, "tensor \"tower.0.weight\""));
    BOOST_TEST(contains(m, "[3, 5] in the file"));
    BOOST_TEST(contains(m, "[3, 4] in the module"));
  }
  // The checks run before any value changes: tower.1 matches but is not loaded.
  BOOST_TEST(same_bits(narrow.second().weight().value, second_before));
}

BOOST_AUTO_TEST_CASE(saving_over_a_checkpoint_and_bad_paths) {
  TempDir dir;
  Tower<float> a(2, 2, 2, 12);
  Tower<float> b(2, 2, 2, 13);
  io::save_checkpoint(a, dir / "ckpt.safetensors");
  io::save_checkpoint(b, dir / "ckpt.safetensors");
  BOOST_TEST(!std::filesystem::exists(dir / "ckpt.safetensors.tmp"));
  io::load_checkpoint(a, dir / "ckpt.safetensors");
  BOOST_TEST(same_values(a, b));
  BOOST_TEST(contains(message_of<io_error>([&] { io::load_checkpoint(a, dir / "missing.safetensors"); }),
                      "missing.safetensors"));
  BOOST_CHECK_THROW(io::save_checkpoint(a, dir / "absent" / "x.safetensors"), io_error);
}

BOOST_AUTO_TEST_SUITE_END()
