#include <adaptrec/io/pretrained.hpp>
#include <adaptrec/layers/layer_norm.hpp>
#include <adaptrec/layers/linear.hpp>

#include <support/expect_throw.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

using namespace adaptrec;
using adaptrec_test::contains;
using adaptrec_test::require_throw_naming;

namespace {

// A dense layer and a layer norm under BERT-like names:
// head.dense.{weight,bias}, head.LayerNorm.{weight,bias}.
template <class T>
struct Head : TrainingMode {
  using scalar_type = T;
  layers::Linear<T> dense;
  layers::LayerNorm<T> norm;
  Head(index_t in, index_t out, Rng& rng) : dense(in, out, rng), norm(out) {
    fill_uniform(norm.weight().value, T(0.5), T(1.5), rng);
    fill_uniform(norm.bias().value, T(-1), T(1), rng);
  }
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    dense.visit_parameters(f, join_name(prefix, "head.dense"));
    norm.visit_parameters(f, join_name(prefix, "head.LayerNorm"));
  }
};

template <class T>
std::vector<std::vector<T>> values_of(Head<T>& m) {
  std::vector<std::vector<T>> out;
  m.visit_parameters(
      [&](const std::string&, Parameter<T>& p) { out.push_back(p.value.to_vector()); }, "");
  return out;
}

// Writes `tensors` (name -> tensor) as a safetensors file and opens it.
io::SafetensorsFile file_with(const adaptrec_test::TempDir& dir,
                              const std::vector<std::pair<std::string, Tensor<float>>>& tensors) {
  io::SafetensorsWriter writer;
  for (const auto& [name, t] : tensors) writer.add(name, t);
  writer.write(dir / "model.safetensors");
  return io::SafetensorsFile::open(dir / "model.safetensors");
}

std::vector<std::pair<std::string, Tensor<float>>> head_tensors(const std::string& prefix,
                                                                Rng& rng) {
  Head<float> source(3, 2, rng);
  std::vector<std::pair<std::string, Tensor<float>>> out;
  source.visit_parameters([&](const std::string& name,
                              Parameter<float>& p) { out.emplace_back(prefix + name, p.value); },
                          "");
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(io_pretrained)

BOOST_AUTO_TEST_CASE(save_then_load_is_bit_exact_in_both_namings) {
  for (const std::string prefix : {"", "bert."}) {
    BOOST_TEST_CONTEXT("prefix '" << prefix << "'") {
      adaptrec_test::TempDir dir("pretrained");
      Rng rng(1);
      Head<float> saved(3, 2, rng);
      io::save_named_parameters(saved, dir / "model.safetensors", prefix, {{"note", "x"}});
      const auto file = io::SafetensorsFile::open(dir / "model.safetensors");
      BOOST_TEST(file.metadata().at("format") == "pt");
      BOOST_TEST(file.metadata().at("note") == "x");
      BOOST_TEST(file.contains(prefix + "head.dense.weight"));
      BOOST_TEST((file.dtype(prefix + "head.dense.weight") == io::DType::f32));

      Head<float> loaded(3, 2, rng);
      io::PretrainedLoadOptions options;
      options.prefix = prefix;
      const auto report = io::load_named_parameters(loaded, file, options);
      BOOST_TEST(report.loaded.size() == 4u);
      BOOST_TEST(report.loaded[0].first == "head.dense.weight");
      BOOST_TEST(report.loaded[0].second == prefix + "head.dense.weight");
      BOOST_TEST((values_of(loaded) == values_of(saved)));
    }
  }
}

BOOST_AUTO_TEST_CASE(double_models_keep_every_bit_when_stored_as_f64) {
  adaptrec_test::TempDir dir("pretrained");
  Rng rng(2);
  Head<double> saved(4, 3, rng), loaded(4, 3, rng);
  io::save_named_parameters(saved, dir / "m.safetensors", "", {}, io::DType::f64);
  io::load_named_parameters(loaded, io::SafetensorsFile::open(dir / "m.safetensors"));
  BOOST_TEST((values_of(loaded) == values_of(saved)));
  require_throw_naming<invalid_argument>(
      [&] { io::save_named_parameters(saved, dir / "m.safetensors", "", {}, io::DType::i32); },
      {"I32"});
}

BOOST_AUTO_TEST_CASE(float_checkpoint_loads_into_a_double_model) {
  adaptrec_test::TempDir dir("pretrained");
  Rng rng(3);
  Head<float> saved(3, 2, rng);
  io::save_named_parameters(saved, dir / "model.safetensors");
  Head<double> loaded(3, 2, rng);
  io::load_named_parameters(loaded, io::SafetensorsFile::open(dir / "model.safetensors"));
  const auto want = values_of(saved);
  const auto got = values_of(loaded);
  for (std::size_t i = 0; i < want.size(); ++i)
    for (std::size_t k = 0; k < want[i].size(); ++k)
      BOOST_TEST(got[i][k] == static_cast<double>(want[i][k]));
}

BOOST_AUTO_TEST_CASE(every_problem_is_reported_at_once_and_nothing_changes) {
  adaptrec_test::TempDir dir("pretrained");
  Rng rng(4);
  auto tensors = head_tensors("", rng);
  tensors.erase(tensors.begin() + 1);                                  // no head.dense.bias
  tensors[0].second = Tensor<float>(Shape{2, 4});                      // head.dense.weight [2, 4]
  tensors.emplace_back("head.extra.weight", Tensor<float>(Shape{5}));  // unexpected
  const auto file = file_with(dir, tensors);
  Head<float> model(3, 2, rng);
  const auto before = values_of(model);
  const std::string message =
      adaptrec_test::message_of<io_error>([&] { io::load_named_parameters(model, file); });
  for (const char* part :
       {"model.safetensors", "missing tensors (1)", "\"head.dense.bias\" (shape [2])",
        "wrongly shaped tensors (1)", "\"head.dense.weight\": expected [2, 3], found [2, 4]",
        "unexpected tensors (1)", "\"head.extra.weight\" (shape [5])"})
    BOOST_TEST(contains(message, part), "'" << message << "' lacks '" << part << "'");
  BOOST_TEST((values_of(model) == before));
}

BOOST_AUTO_TEST_CASE(integer_tensors_are_refused_by_name) {
  adaptrec_test::TempDir dir("pretrained");
  Rng rng(5);
  io::SafetensorsWriter writer;
  for (const auto& [name, t] : head_tensors("", rng))
    if (name == "head.LayerNorm.bias")
      writer.add(name, Tensor<index_t>(t.shape()));
    else
      writer.add(name, t);
  writer.write(dir / "model.safetensors");
  Head<float> model(3, 2, rng);
  require_throw_naming<io_error>(
      [&] {
        io::load_named_parameters(model, io::SafetensorsFile::open(dir / "model.safetensors"));
      },
      {"non-floating", "head.LayerNorm.bias", "I64"});
}

BOOST_AUTO_TEST_CASE(legacy_gamma_and_beta_names_load) {
  adaptrec_test::TempDir dir("pretrained");
  Rng rng(6);
  auto tensors = head_tensors("", rng);
  for (auto& [name, t] : tensors) {
    if (name == "head.LayerNorm.weight") name = "head.LayerNorm.gamma";
    if (name == "head.LayerNorm.bias") name = "head.LayerNorm.beta";
  }
  const auto file = file_with(dir, tensors);
  Head<float> model(3, 2, rng);
  const auto report = io::load_named_parameters(model, file);
  BOOST_TEST(report.loaded[2].second == "head.LayerNorm.gamma");
  BOOST_TEST(report.loaded[3].second == "head.LayerNorm.beta");
  BOOST_TEST(model.norm.weight().value.to_vector() == tensors[2].second.to_vector());

  io::PretrainedLoadOptions strict_names;
  strict_names.accept_legacy_layer_norm_names = false;
  require_throw_naming<io_error>([&] { io::load_named_parameters(model, file, strict_names); },
                                 {"head.LayerNorm.weight", "head.LayerNorm.gamma"});
}

BOOST_AUTO_TEST_CASE(task_heads_and_buffers_are_skipped) {
  adaptrec_test::TempDir dir("pretrained");
  Rng rng(7);
  auto tensors = head_tensors("bert.", rng);
  tensors.emplace_back("cls.predictions.bias", Tensor<float>(Shape{7}));
  tensors.emplace_back("bert.embeddings.position_ids", Tensor<float>(Shape{1, 4}));
  const auto file = file_with(dir, tensors);
  Head<float> model(3, 2, rng);
  io::PretrainedLoadOptions options;
  options.prefix = "bert.";
  require_throw_naming<io_error>([&] { io::load_named_parameters(model, file, options); },
                                 {"unexpected tensors (1)", "cls.predictions.bias"});
  options.ignored_prefixes = {"cls."};
  const auto report = io::load_named_parameters(model, file, options);
  BOOST_TEST((report.ignored ==
              std::vector<std::string>{"bert.embeddings.position_ids", "cls.predictions.bias"}));
}

BOOST_AUTO_TEST_CASE(a_wrong_prefix_gets_a_hint) {
  adaptrec_test::TempDir dir("pretrained");
  Rng rng(8);
  const auto file = file_with(dir, head_tensors("bert.", rng));
  Head<float> model(3, 2, rng);
  require_throw_naming<io_error>(
      [&] { io::load_named_parameters(model, file); },
      {"missing tensors (4)", "unexpected tensors (4)", "use the prefix \"bert.\""});
  const auto bare = file_with(dir, head_tensors("", rng));
  io::PretrainedLoadOptions options;
  options.prefix = "bert.";
  require_throw_naming<io_error>([&] { io::load_named_parameters(model, bare, options); },
                                 {"stored without the prefix \"bert.\""});
}

BOOST_AUTO_TEST_SUITE_END()
