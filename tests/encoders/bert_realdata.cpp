// all-MiniLM-L6-v2, the real pretrained checkpoint, against Hugging Face's
// sentence embeddings of the same token batch (tests/reference/make_vectors.py).
#include <adaptrec/encoders/bert_pretrained.hpp>

#include <support/models.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>

using namespace adaptrec;
using encoders::Pooling;

namespace {

io::SafetensorsFile expected_embeddings() {
  return io::SafetensorsFile::open(adaptrec_test::reference_dir() /
                                   "minilm_embeddings.safetensors");
}

text::TokenBatch inputs_of(const io::SafetensorsFile& expected) {
  text::TokenBatch batch;
  batch.input_ids = expected.tensor<index_t>("input_ids");
  batch.token_type_ids = expected.tensor<index_t>("token_type_ids");
  batch.attention_mask = expected.tensor<index_t>("attention_mask");
  return batch;
}

template <class T>
double max_abs_error(const Tensor<T>& got, const Tensor<double>& want) {
  BOOST_REQUIRE(got.shape() == want.shape());
  double error = 0;
  for (index_t i = 0; i < want.size(); ++i)
    error = std::max(error, std::abs(static_cast<double>(got[i]) - want[i]));
  return error;
}

template <class T>
void check_against(const std::string& suffix, double tolerance) {
  auto model = encoders::load_bert<T>(adaptrec_test::minilm_dir());
  model.eval();
  BOOST_TEST(model.config().hidden_size == 384);
  BOOST_TEST(model.num_layers() == 6u);
  const auto expected = expected_embeddings();
  const text::TokenBatch batch = inputs_of(expected);
  const Tensor<T> hidden = model.forward(batch);
  for (auto [name, pooling] :
       {std::pair{"mean_pooled", Pooling::mean}, std::pair{"cls_pooled", Pooling::cls}}) {
    const double error =
        max_abs_error(model.pool(hidden, batch, pooling), expected.tensor<double>(name + suffix));
    std::cout << "MiniLM " << name << suffix << " (" << (sizeof(T) == 4 ? "float" : "double")
              << "): max abs error " << error << '\n';
    BOOST_TEST(error <= tolerance, name << suffix << ": " << error);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_bert_realdata)

BOOST_AUTO_TEST_CASE(float_model_matches_hugging_face_float32,
                     *boost::unit_test::precondition(adaptrec_test::has_minilm())) {
  check_against<float>("", 1e-4);
}

BOOST_AUTO_TEST_CASE(double_model_matches_hugging_face_float64,
                     *boost::unit_test::precondition(adaptrec_test::has_minilm())) {
  check_against<double>("_f64", 1e-10);
}

BOOST_AUTO_TEST_SUITE_END()
