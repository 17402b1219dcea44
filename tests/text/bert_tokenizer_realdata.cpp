// BertTokenizer with all-MiniLM-L6-v2's real vocabulary against Hugging Face's
// slow BertTokenizer (tests/reference/vectors/tokenizer_minilm.json and
// tokenizer_uncased_keep_accents.json).
#include <adaptrec/text/bert_tokenizer.hpp>

#include <support/models.hpp>
#include <text/tokenizer_vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace adaptrec;
using adaptrec_test::has_minilm;

BOOST_AUTO_TEST_SUITE(text_bert_tokenizer_realdata)

BOOST_AUTO_TEST_CASE(minilm_from_pretrained_matches_hugging_face, *boost::unit_test::precondition(has_minilm())) {
  const io::Json vectors = io::read_json_file(adaptrec_test::reference_dir() / "tokenizer_minilm.json");
  const auto tokenizer = text::BertTokenizer::from_pretrained(adaptrec_test::minilm_dir());
  const auto expected = adaptrec_test::vector_options(vectors);
  BOOST_TEST(tokenizer.options().do_lower_case == expected.do_lower_case);
  BOOST_TEST((tokenizer.options().strip_accents == expected.strip_accents));
  BOOST_TEST(tokenizer.vocabulary().size() == 30522);
  BOOST_TEST(tokenizer.options().model_max_length.value_or(0) == 512);
  adaptrec_test::check_against_vectors(tokenizer, vectors);
}

BOOST_AUTO_TEST_CASE(minilm_keeping_accents_matches_hugging_face, *boost::unit_test::precondition(has_minilm())) {
  const io::Json vectors = io::read_json_file(adaptrec_test::reference_dir() / "tokenizer_uncased_keep_accents.json");
  const text::BertTokenizer tokenizer(text::Vocabulary::load(adaptrec_test::minilm_dir() / "vocab.txt"),
                                      adaptrec_test::vector_options(vectors));
  BOOST_TEST((tokenizer.options().strip_accents == std::optional<bool>(false)));
  adaptrec_test::check_against_vectors(tokenizer, vectors);
}

BOOST_AUTO_TEST_SUITE_END()
