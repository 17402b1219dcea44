// BertForMaskedLM against Hugging Face transformers: logits, loss and the
// gradient of every parameter on a random checkpoint whose weights are far
// from their initial values (tests/reference/make_vectors.py,
// random_bert_prefixed: gelu_new, layer_norm_eps 1e-5, token types 0 and 1,
// padding). The reference ran in float64 and float32, in eval mode.
#include <adaptrec/encoders/bert_for_masked_lm.hpp>

#include <support/models.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

using namespace adaptrec;

namespace {

std::filesystem::path checkpoint() {
  return adaptrec_test::reference_dir() / "random_bert_prefixed";
}

io::SafetensorsFile expected() {
  return io::SafetensorsFile::open(checkpoint() / "expected.safetensors");
}

text::TokenBatch reference_batch(const io::SafetensorsFile& file) {
  return {file.tensor<index_t>("input_ids"), file.tensor<index_t>("token_type_ids"),
          file.tensor<index_t>("attention_mask")};
}

// Largest |a - b| / max(|b|, floor) over the elements: relative for large
// values, absolute below `floor`.
template <class T>
double worst_relative_error(const Tensor<T>& actual, const Tensor<double>& reference,
                            double floor) {
  BOOST_REQUIRE(actual.shape() == reference.shape());
  double worst = 0;
  for (index_t i = 0; i < actual.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(actual[i]) - reference[i]) /
                                std::max(std::abs(reference[i]), floor));
  return worst;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_masked_lm_reference)

BOOST_AUTO_TEST_CASE(double_logits_loss_and_every_gradient_match_transformers) {
  const io::SafetensorsFile file = expected();
  auto model = encoders::load_bert_for_masked_lm<double>(checkpoint());
  model.eval();
  const text::TokenBatch batch = reference_batch(file);
  const Tensor<index_t> labels = file.tensor<index_t>("mlm_labels");

  const Tensor<double> logits = model.logits(batch);
  BOOST_TEST(worst_relative_error(logits, file.tensor<double>("mlm_logits"), 1.0) < 1e-9);

  zero_grad(model);
  const double loss = model.forward(batch, labels);
  BOOST_TEST(loss == file.tensor<double>("mlm_loss")[0], boost::test_tools::tolerance(1e-10));
  model.backward();

  std::set<std::string> graded;
  model.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        graded.insert("grad." + name);
        const Tensor<double> reference = file.tensor<double>("grad." + name);
        double scale = 0;
        for (double g : reference) scale = std::max(scale, std::abs(g));
        // Relative to the tensor's largest gradient: elements near zero carry
        // the rounding of the larger terms that cancelled in them. The key
        // biases' gradient is zero in exact arithmetic (softmax does not change
        // when one constant is added to every score of a row), so there both
        // sides are rounding noise of order 1e-17, held to 1e-15.
        BOOST_TEST(worst_relative_error(p.grad, reference, std::max(scale, 1e-6)) < 1e-9, name);
      },
      "");
  for (const std::string& name : file.names())
    if (name.starts_with("grad.")) BOOST_TEST(graded.count(name) == 1u, name << " not compared");
}

BOOST_AUTO_TEST_CASE(float_logits_and_loss_match_transformers_float32) {
  const io::SafetensorsFile file = expected();
  auto model = encoders::load_bert_for_masked_lm<float>(checkpoint());
  model.eval();
  const text::TokenBatch batch = reference_batch(file);
  const Tensor<float> logits = model.logits(batch);
  BOOST_TEST(worst_relative_error(logits, file.tensor<double>("mlm_logits_f32"), 1.0) < 1e-4);
  const float loss = model.forward(batch, file.tensor<index_t>("mlm_labels"));
  BOOST_TEST(loss == file.tensor<float>("mlm_loss_f32")[0], boost::test_tools::tolerance(1e-4f));
}

BOOST_AUTO_TEST_CASE(the_checkpoint_loads_without_a_stored_decoder_and_saves_the_same_names) {
  auto model = encoders::load_bert_for_masked_lm<float>(checkpoint());
  const auto stored = io::SafetensorsFile::open(checkpoint() / "model.safetensors").names();
  std::set<std::string> names;
  model.visit_parameters([&](const std::string& n, Parameter<float>&) { names.insert(n); }, "");
  BOOST_TEST(names == std::set<std::string>(stored.begin(), stored.end()),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
