#include <adaptrec/text/mlm_masking.hpp>

#include <support/expect_throw.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;

namespace {

constexpr index_t pad_id = 0, unk_id = 1, cls_id = 2, sep_id = 3, mask_id = 4;

text::MaskingVocabulary vocabulary(index_t size) {
  return {.vocab_size = size,
          .mask_token_id = mask_id,
          .special_token_ids = {pad_id, unk_id, cls_id, sep_id, mask_id}};
}

// `rows` sequences of `length` positions: [CLS] words... [SEP] then padding,
// the number of words varying by row; some words are [UNK].
text::TokenBatch make_batch(index_t rows, index_t length, index_t vocab_size, Rng& rng) {
  text::TokenBatch batch{Tensor<index_t>(Shape{rows, length}), Tensor<index_t>(Shape{rows, length}),
                         Tensor<index_t>(Shape{rows, length})};
  std::uniform_int_distribution<index_t> word(5, vocab_size - 1);
  for (index_t r = 0; r < rows; ++r) {
    const index_t words = 1 + r % (length - 2);
    for (index_t s = 0; s < length; ++s) {
      index_t id = pad_id;
      if (s == 0)
        id = cls_id;
      else if (s <= words)
        id = (s * 7 + r) % 31 == 0 ? unk_id : word(rng);
      else if (s == words + 1)
        id = sep_id;
      batch.input_ids(r, s) = id;
      batch.attention_mask(r, s) = s <= words + 1 ? 1 : 0;
    }
  }
  return batch;
}

// Within `sigmas` standard deviations of a binomial(n, p) count.
void require_binomial(index_t observed, index_t n, double p, const char* what,
                      double sigmas = 5) {
  const double mean = static_cast<double>(n) * p;
  const double sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
  BOOST_TEST(std::abs(static_cast<double>(observed) - mean) <= sigmas * sd,
             what << ": " << observed << " of " << n << ", expected " << mean << " +- "
                  << sigmas * sd);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(text_mlm_masking)

BOOST_AUTO_TEST_CASE(selection_and_80_10_10_split_match_their_probabilities) {
  constexpr index_t vocab_size = 1000;
  Rng rng(11);
  const text::TokenBatch original = make_batch(600, 48, vocab_size, rng);
  text::TokenBatch batch = original;
  const Tensor<index_t> labels =
      text::mask_tokens(batch, text::MaskingOptions{}, vocabulary(vocab_size), rng);
  BOOST_REQUIRE(labels.shape() == original.input_ids.shape());

  index_t eligible = 0, selected = 0, masked = 0, randomised = 0, kept = 0;
  double random_id_sum = 0;
  const auto vocab = vocabulary(vocab_size);
  for (index_t i = 0; i < labels.size(); ++i) {
    const index_t before = original.input_ids[i], after = batch.input_ids[i];
    const bool candidate = original.attention_mask[i] == 1 && !vocab.is_special(before);
    eligible += candidate;
    if (labels[i] == text::ignored_label) {
      BOOST_TEST(after == before, "unselected position " << i << " changed");
      continue;
    }
    BOOST_TEST(candidate, "position " << i << " (id " << before << ") must not be selected");
    BOOST_TEST(labels[i] == before);
    ++selected;
    if (after == mask_id) {
      ++masked;
    } else if (after == before) {
      ++kept;
    } else {
      ++randomised;
      random_id_sum += static_cast<double>(after);
    }
  }
  BOOST_TEST(selected == text::count_labelled(labels));
  require_binomial(selected, eligible, 0.15, "selected");
  // A random draw may hit [MASK] or the original token, each with probability 1/V.
  const double v = static_cast<double>(vocab_size);
  require_binomial(masked, selected, 0.8 + 0.1 / v, "[MASK]");
  require_binomial(randomised, selected, 0.1 * (1 - 2 / v), "random");
  require_binomial(kept, selected, 0.1 + 0.1 / v, "unchanged");
  // Random tokens come uniformly from the whole vocabulary: mean (V - 1) / 2,
  // standard deviation V / sqrt(12) per draw.
  const double mean_id = random_id_sum / static_cast<double>(randomised);
  BOOST_TEST(std::abs(mean_id - (v - 1) / 2) <=
             5 * v / std::sqrt(12.0 * static_cast<double>(randomised)));
}

BOOST_AUTO_TEST_CASE(specials_and_padding_are_never_selected) {
  Rng rng(3);
  const text::TokenBatch original = make_batch(40, 12, 50, rng);
  text::TokenBatch batch = original;
  // Every eligible position selected, and every one replaced by [MASK].
  const text::MaskingOptions all{.selection_probability = 1.0, .mask_probability = 1.0,
                                 .random_probability = 0.0};
  const Tensor<index_t> labels = text::mask_tokens(batch, all, vocabulary(50), rng);
  const auto vocab = vocabulary(50);
  for (index_t i = 0; i < labels.size(); ++i) {
    const bool candidate =
        original.attention_mask[i] == 1 && !vocab.is_special(original.input_ids[i]);
    BOOST_TEST((labels[i] != text::ignored_label) == candidate, "position " << i);
    BOOST_TEST(batch.input_ids[i] == (candidate ? mask_id : original.input_ids[i]));
  }
}

BOOST_AUTO_TEST_CASE(padding_with_a_real_id_is_not_selected) {
  // A padded position is skipped by its attention mask, whatever id it holds.
  text::TokenBatch batch{Tensor<index_t>(Shape{1, 4}, {cls_id, 10, 11, 12}),
                         Tensor<index_t>(Shape{1, 4}), Tensor<index_t>(Shape{1, 4}, {1, 1, 0, 0})};
  Rng rng(5);
  const Tensor<index_t> labels = text::mask_tokens(
      batch, {.selection_probability = 1.0, .mask_probability = 1.0, .random_probability = 0.0},
      vocabulary(20), rng);
  BOOST_TEST(labels.to_vector() == (std::vector<index_t>{-100, 10, -100, -100}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_masks) {
  Rng data_rng(8);
  const text::TokenBatch original = make_batch(20, 16, 100, data_rng);
  text::TokenBatch a = original, b = original;
  Rng rng_a(42), rng_b(42);
  const auto labels_a = text::mask_tokens(a, {}, vocabulary(100), rng_a);
  const auto labels_b = text::mask_tokens(b, {}, vocabulary(100), rng_b);
  BOOST_TEST(labels_a.to_vector() == labels_b.to_vector(), boost::test_tools::per_element());
  BOOST_TEST(a.input_ids.to_vector() == b.input_ids.to_vector(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(invalid_options_name_the_option) {
  Rng rng(1);
  text::TokenBatch batch = make_batch(2, 6, 30, rng);
  const auto vocab = vocabulary(30);
  auto run = [&](text::MaskingOptions o) { text::mask_tokens(batch, o, vocab, rng); };
  require_throw_naming<invalid_argument>([&] { run({.selection_probability = 1.5}); },
                                         {"selection_probability", "1.5"});
  require_throw_naming<invalid_argument>([&] { run({.selection_probability = 0.0}); },
                                         {"selection_probability"});
  require_throw_naming<invalid_argument>([&] { run({.mask_probability = -0.1}); },
                                         {"mask_probability"});
  require_throw_naming<invalid_argument>(
      [&] { run({.mask_probability = 0.7, .random_probability = 0.4}); },
      {"mask_probability + random_probability", "exceeds 1"});
  require_throw_naming<invalid_argument>(
      [&] { run({.selection_probability = std::nan("")}); }, {"selection_probability"});
}

BOOST_AUTO_TEST_CASE(bad_vocabulary_and_ids_are_named) {
  Rng rng(2);
  text::TokenBatch batch = make_batch(2, 6, 30, rng);
  auto vocab = vocabulary(30);
  vocab.mask_token_id = 30;
  require_throw_naming<index_error>([&] { text::mask_tokens(batch, {}, vocab, rng); },
                                    {"mask_token_id", "30"});
  vocab = vocabulary(30);
  batch.input_ids(1, 2) = 77;
  const text::TokenBatch before = batch;
  require_throw_naming<index_error>([&] { text::mask_tokens(batch, {}, vocab, rng); },
                                    {"input_ids[1, 2]", "77", "[0, 30)"});
  BOOST_TEST(batch.input_ids.to_vector() == before.input_ids.to_vector(),
             boost::test_tools::per_element());
  text::TokenBatch ragged{Tensor<index_t>(Shape{2, 3}), Tensor<index_t>(Shape{2, 3}),
                          Tensor<index_t>(Shape{2, 4})};
  require_throw_naming<shape_error>([&] { text::mask_tokens(ragged, {}, vocab, rng); },
                                    {"mask_tokens", "[2, 4]"});
}

BOOST_AUTO_TEST_CASE(a_tokenizer_gives_its_size_mask_and_special_ids) {
  // Special tokens in an order other than the usual, and one extra special.
  text::BertTokenizerOptions options;
  options.additional_special_tokens = {"[ITEM]"};
  const text::BertTokenizer tokenizer(
      text::Vocabulary({"[CLS]", "hello", "[SEP]", "[MASK]", "[ITEM]", "[UNK]", "[PAD]", "world"}),
      options);
  const text::MaskingVocabulary vocab = text::masking_vocabulary(tokenizer);
  BOOST_TEST(vocab.vocab_size == 8);
  BOOST_TEST(vocab.mask_token_id == 3);
  for (index_t id : {0, 2, 3, 4, 5, 6}) BOOST_TEST(vocab.is_special(id), id);
  BOOST_TEST(!vocab.is_special(1));
  BOOST_TEST(!vocab.is_special(7));
}

BOOST_AUTO_TEST_SUITE_END()
