// The item text encoder on real data: all-MiniLM-L6-v2 over the MovieLens
// 100K item texts ("Toy Story (1995) | Animation, Children's, Comedy").
#include <adaptrec/data/movielens.hpp>
#include <adaptrec/encoders/bert_pretrained.hpp>
#include <adaptrec/encoders/item_text_encoder.hpp>

#include <support/data.hpp>
#include <support/models.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

using namespace adaptrec;
namespace utf = boost::unit_test;
using encoders::ItemTextEncoder;
using encoders::ItemTextEncoderOptions;

namespace {

data::MovieLens movielens() {
  // The shared copy lacks movie 267's line in u.item (docs/results.md).
  return data::load_movielens(adaptrec_test::data_path("ml-100k"), {data::UnknownIdPolicy::skip});
}

std::vector<std::string> item_texts(const data::MovieLens& ml, std::int32_t limit) {
  std::vector<std::string> texts;
  for (std::int32_t i = 0; i < std::min(limit, ml.num_items()); ++i)
    texts.push_back(ml.item_text(i));
  return texts;
}

index_t item_titled(const data::MovieLens& ml, const std::string& title) {
  for (std::size_t i = 0; i < ml.movies.size(); ++i)
    if (ml.movies[i].title == title) return static_cast<index_t>(i);
  BOOST_FAIL("no movie titled '" + title + "'");
  return -1;
}

double cosine(const Tensor<float>& a, const Tensor<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (index_t i = 0; i < a.size(); ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

ItemTextEncoder<float> minilm_items(const std::vector<std::string>& texts, index_t top_layers) {
  Rng rng(1);
  const ItemTextEncoderOptions options{.pooling = encoders::Pooling::mean,
                                       .max_length = 64,
                                       .output_dim = 32,
                                       .fine_tune_top_layers = top_layers};
  return ItemTextEncoder<float>(encoders::load_bert<float>(adaptrec_test::minilm_dir()),
                                text::BertTokenizer::from_pretrained(adaptrec_test::minilm_dir()),
                                texts, options, rng);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoders_item_text_encoder_realdata)

BOOST_AUTO_TEST_CASE(minilm_encodes_every_movielens_item,
                     *utf::precondition(adaptrec_test::has_minilm()) *
                         utf::precondition(adaptrec_test::has_data("ml-100k"))) {
  const data::MovieLens ml = movielens();
  const auto start = std::chrono::steady_clock::now();
  ItemTextEncoder<float> items = minilm_items(item_texts(ml, ml.num_items()), 0);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  BOOST_TEST_MESSAGE("cached " << items.num_items() << " MiniLM item vectors in " << took.count()
                               << " s");
  BOOST_TEST(items.num_items() == ml.num_items());
  BOOST_TEST(items.text_dim() == 384);
  for (index_t item = 0; item < items.num_items(); ++item) {
    const Tensor<float> v = items.cached(item);
    BOOST_REQUIRE(v.shape() == Shape{384});
    for (float x : v) BOOST_REQUIRE_MESSAGE(std::isfinite(x), "item " << item);
  }

  // Sequels share most of their words; an unrelated film shares none.
  const auto similarity = [&](const std::string& a, const std::string& b) {
    return cosine(items.cached(item_titled(ml, a)), items.cached(item_titled(ml, b)));
  };
  BOOST_TEST(similarity("Free Willy", "Free Willy 2: The Adventure Home") >
             similarity("Free Willy", "Three Colors: Red"));
  BOOST_TEST(similarity("Die Hard", "Die Hard 2") > similarity("Die Hard", "Toy Story"));
  BOOST_TEST(similarity("Three Colors: Red", "Three Colors: Blue") >
             similarity("Three Colors: Red", "Batman Forever"));

  const Tensor<float> projected = items.forward(Tensor<index_t>(Shape{3}, {0, 1, 2}));
  BOOST_TEST(projected.shape() == (Shape{3, 32}));
}

// Caching layer 4's output and running layers 4 and 5 gives, before any
// training, what the whole frozen encoder gives (in eval mode: MiniLM's
// dropout would otherwise act in the tuned layers).
BOOST_AUTO_TEST_CASE(minilm_top_layers_agree_with_the_frozen_encoder,
                     *utf::precondition(adaptrec_test::has_minilm()) *
                         utf::precondition(adaptrec_test::has_data("ml-100k"))) {
  const data::MovieLens ml = movielens();
  const std::vector<std::string> texts = item_texts(ml, 40);
  ItemTextEncoder<float> frozen = minilm_items(texts, 0);
  ItemTextEncoder<float> tuned = minilm_items(texts, 2);
  tuned.eval();
  Tensor<index_t> ids(Shape{6}, {39, 0, 7, 7, 21, 3});
  const Tensor<float> expected = frozen.forward(ids);
  const Tensor<float> got = tuned.forward(ids);
  BOOST_REQUIRE(got.shape() == expected.shape());
  for (index_t i = 0; i < got.size(); ++i)
    BOOST_TEST(std::abs(got[i] - expected[i]) <= 1e-4f,
               i << ": " << got[i] << " vs " << expected[i]);
}

BOOST_AUTO_TEST_SUITE_END()
