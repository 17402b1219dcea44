// The BERT encoder against Hugging Face transformers: checkpoints with random
// weights in the Hugging Face layout and their outputs, written by
// tests/reference/make_vectors.py (float64 and float32 runs of the same model).
#include <adaptrec/encoders/bert_pretrained.hpp>

#include <support/models.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>

using namespace adaptrec;
using encoders::Pooling;

namespace {

std::filesystem::path folder(const std::string& name) {
  return adaptrec_test::reference_dir() / name;
}

text::TokenBatch inputs_of(const io::SafetensorsFile& expected) {
  text::TokenBatch batch;
  batch.input_ids = expected.tensor<index_t>("input_ids");
  batch.token_type_ids = expected.tensor<index_t>("token_type_ids");
  batch.attention_mask = expected.tensor<index_t>("attention_mask");
  return batch;
}

// max |got - want| / max(1, max |want|): relative to the outputs' magnitude.
template <class T>
double max_relative_error(const Tensor<T>& got, const Tensor<double>& want,
                          const std::string& what) {
  BOOST_REQUIRE_MESSAGE(got.shape() == want.shape(),
                        what << ": shape " << got.shape() << " vs " << want.shape());
  double error = 0, scale = 1;
  for (index_t i = 0; i < want.size(); ++i) {
    error = std::max(error, std::abs(static_cast<double>(got[i]) - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  return error / scale;
}

struct Outputs {
  std::vector<std::pair<std::string, double>> errors;  // name, max relative error
};

template <class T>
Outputs compare_outputs(encoders::Bert<T>& model, const io::SafetensorsFile& expected,
                        const std::string& suffix) {
  model.eval();
  const text::TokenBatch batch = inputs_of(expected);
  const Tensor<T> hidden = model.forward(batch);
  Outputs out;
  auto check = [&](const std::string& name, const Tensor<T>& got) {
    out.errors.emplace_back(name,
                            max_relative_error(got, expected.tensor<double>(name + suffix), name));
  };
  check("last_hidden_state", hidden);
  check("mean_pooled", model.pool(hidden, batch, Pooling::mean));
  check("cls_pooled", model.pool(hidden, batch, Pooling::cls));
  BOOST_TEST(model.has_pooler() == expected.contains("pooler_output" + suffix));
  if (model.has_pooler()) check("pooler_output", model.pool(hidden, batch, Pooling::pooler));
  return out;
}

void require_below(const Outputs& outputs, double tolerance, const std::string& label) {
  for (const auto& [name, error] : outputs.errors) {
    std::cout << label << " " << name << ": max relative error " << error << '\n';
    BOOST_TEST(error <= tolerance, label << " " << name << ": " << error);
  }
}

const std::vector<std::string> checkpoints = {"random_bert_small", "random_bert_prefixed",
                                              "random_bert_nopooler"};

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_bert_reference)

BOOST_AUTO_TEST_CASE(double_model_matches_float64_hugging_face) {
  for (const std::string& name : checkpoints) {
    BOOST_TEST_CONTEXT(name) {
      auto model = encoders::load_bert<double>(folder(name));
      const auto expected = io::SafetensorsFile::open(folder(name) / "expected.safetensors");
      require_below(compare_outputs(model, expected, ""), 1e-10, name + " (double)");
    }
  }
}

BOOST_AUTO_TEST_CASE(float_model_matches_float32_hugging_face) {
  for (const std::string& name : checkpoints) {
    BOOST_TEST_CONTEXT(name) {
      auto model = encoders::load_bert<float>(folder(name));
      const auto expected = io::SafetensorsFile::open(folder(name) / "expected.safetensors");
      require_below(compare_outputs(model, expected, "_f32"), 1e-5, name + " (float)");
    }
  }
}

BOOST_AUTO_TEST_CASE(checkpoints_have_the_expected_shape) {
  const auto small = encoders::load_bert<float>(folder("random_bert_small"));
  BOOST_TEST(small.has_pooler());
  BOOST_TEST(small.num_layers() == 2u);
  const auto prefixed = encoders::load_bert<float>(folder("random_bert_prefixed"));
  BOOST_TEST(!prefixed.has_pooler());
  BOOST_TEST((prefixed.config().activation() == backend::Activation::gelu_tanh));
  BOOST_TEST(prefixed.config().layer_norm_eps == 1e-5);
  const auto relu = encoders::load_bert<float>(folder("random_bert_nopooler"));
  BOOST_TEST((relu.config().activation() == backend::Activation::relu));
  BOOST_TEST(relu.config().type_vocab_size == 1);
}

BOOST_AUTO_TEST_CASE(saved_copies_reload_with_equal_outputs_in_both_namings) {
  for (const std::string& name : checkpoints) {
    auto original = encoders::load_bert<float>(folder(name));
    original.eval();
    const auto expected = io::SafetensorsFile::open(folder(name) / "expected.safetensors");
    const text::TokenBatch batch = inputs_of(expected);
    const Tensor<float> want = original.forward(batch);
    for (auto names : {encoders::NamePrefix::bare, encoders::NamePrefix::bert}) {
      BOOST_TEST_CONTEXT(name << " saved with prefix '" << encoders::name_prefix(names) << "'") {
        adaptrec_test::TempDir dir("bert-reference");
        encoders::save_bert(original, dir.path(), names);
        auto copy = encoders::load_bert<float>(dir.path());
        copy.eval();
        BOOST_TEST(copy.has_pooler() == original.has_pooler());
        BOOST_TEST(copy.forward(batch).to_vector() == want.to_vector());
        if (copy.has_pooler())
          BOOST_TEST(copy.encode(batch, Pooling::pooler).to_vector() ==
                     original.encode(batch, Pooling::pooler).to_vector());
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
