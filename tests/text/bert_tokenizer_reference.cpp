// BertTokenizer against Hugging Face's slow BertTokenizer on a tiny cased
// vocabulary (tests/reference/vectors/tokenizer_cased_tiny.json).
#include <adaptrec/text.hpp>  // the umbrella header, compiled here once

#include <support/models.hpp>
#include <text/tokenizer_vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace adaptrec;

BOOST_AUTO_TEST_SUITE(text_bert_tokenizer_reference)

BOOST_AUTO_TEST_CASE(cased_tiny_vocabulary_matches_hugging_face) {
  const auto dir = adaptrec_test::reference_dir();
  const io::Json vectors = io::read_json_file(dir / "tokenizer_cased_tiny.json");
  BOOST_TEST_REQUIRE(vectors.at("vocab").as_string() == "tiny_cased_vocab.txt");
  const text::BertTokenizer tokenizer(text::Vocabulary::load(dir / "tiny_cased_vocab.txt"),
                                      adaptrec_test::vector_options(vectors));
  BOOST_TEST(!tokenizer.options().do_lower_case);
  adaptrec_test::check_against_vectors(tokenizer, vectors);
}

BOOST_AUTO_TEST_SUITE_END()
