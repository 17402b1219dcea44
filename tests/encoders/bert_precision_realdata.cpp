// all-MiniLM-L6-v2 served in bf16 and int8 (Bert::set_precision): the
// sentence embeddings against the float32 ones, per sentence, on English,
// accented, CJK and emoji text.
#include <adaptrec/encoders/bert_pretrained.hpp>
#include <adaptrec/text/bert_tokenizer.hpp>

#include <support/cpu_backend.hpp>
#include <support/models.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <iostream>
#include <string>
#include <vector>

using namespace adaptrec;
using backend::ActivationScaling;
using backend::Precision;
using encoders::Pooling;

namespace {

const std::vector<std::string> sentences = {
    "Toy Story (1995) | Animation, Children's, Comedy",
    "A thrilling space adventure with stunning visual effects.",
    "Wireless noise-cancelling headphones, 30 hours of battery life",
    "The quarterly report shows revenue grew by 12 percent.",
    "Crème brûlée and café au lait at a cosy Parisian bistro",
    "Señor Müller's naïve façade fooled no one in São Paulo.",
    "東京物語 (1953) は小津安二郎監督の映画です。",
    "北京烤鸭是中国最有名的菜之一",
    "서울의 밤거리는 정말 아름답다",
    "Best pizza in town 🍕🔥 would order again 👍",
    "🎬🍿 movie night with friends!!! 😂😂",
    "short",
};

// Item texts from another domain, as a calibration sample.
const std::vector<std::string> calibration = {
    "Heat (1995) | Action, Crime, Thriller", "Sense and Sensibility (1995) | Drama, Romance",
    "Running shoes for trail and road, lightweight", "Jazz piano trio live in Tokyo 🎹",
    "Dictionnaire français–anglais, édition de poche", "日本の伝統的な茶道の入門書",
};

std::vector<double> row_cosines(const Tensor<float>& a, const Tensor<float>& b) {
  std::vector<double> out;
  for (index_t r = 0; r < a.rows(); ++r) {
    double ab = 0, aa = 0, bb = 0;
    for (index_t c = 0; c < a.cols(); ++c) {
      const double x = a[r * a.cols() + c], y = b[r * a.cols() + c];
      ab += x * y, aa += x * x, bb += y * y;
    }
    out.push_back(ab / std::sqrt(aa * bb));
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_bert_precision_realdata)

BOOST_AUTO_TEST_CASE(bf16_and_int8_embeddings_stay_close_to_float32,
                     *boost::unit_test::precondition(adaptrec_test::has_minilm())) {
  const auto dir = adaptrec_test::minilm_dir();
  const auto tokenizer = text::BertTokenizer::from_pretrained(dir);
  const auto batch = tokenizer.encode_batch(sentences, 128);
  const auto sample = tokenizer.encode_batch(calibration, 128);
  for (const auto b : adaptrec_test::built_cpu_backends()) {
    adaptrec_test::CpuBackendScope scope(b);
    auto model = encoders::load_bert<float>(dir);
    model.eval();
    const Tensor<float> reference = model.encode(batch, Pooling::mean);
    model.calibrate({sample});
    struct Mode {
      const char* name;
      Precision precision;
      backend::Int8Options int8;
      double min_cosine;
    };
    const Mode modes[] = {
        {"bf16", Precision::bf16, {}, 0.999},
        {"int8 per_token", Precision::int8, {.activations = ActivationScaling::per_token}, 0.99},
        {"int8 per_tensor", Precision::int8, {.activations = ActivationScaling::per_tensor}, 0.97},
        {"int8 per_token w127", Precision::int8, {.activations = ActivationScaling::per_token, .weight_levels = 127}, 0.99},
        {"int8 calibrated", Precision::int8, {.activations = ActivationScaling::calibrated}, 0.97},
    };
    for (const Mode& mode : modes) {
      model.set_precision(mode.precision, mode.int8);
      const auto cosines = row_cosines(model.encode(batch, Pooling::mean), reference);
      double worst = 1, mean = 0;
      for (std::size_t i = 0; i < cosines.size(); ++i) {
        worst = std::min(worst, cosines[i]);
        mean += cosines[i] / double(cosines.size());
        BOOST_TEST(cosines[i] >= mode.min_cosine,
                   backend::to_string(b) << " " << mode.name << ": '" << sentences[i]
                                         << "' has cosine " << cosines[i]);
      }
      std::cout << "MiniLM " << backend::to_string(b) << " " << mode.name
                << ": cosine to float32 min " << worst << ", mean " << mean << '\n';
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
