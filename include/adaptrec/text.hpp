#pragma once
// Text: the WordPiece tokenizer of BERT-family checkpoints and the Unicode
// machinery under it.
#include <adaptrec/text/basic_tokenizer.hpp>
#include <adaptrec/text/bert_tokenizer.hpp>
#include <adaptrec/text/bert_tokenizer_options.hpp>
#include <adaptrec/text/mlm_masking.hpp>
#include <adaptrec/text/token_batch.hpp>
#include <adaptrec/text/unicode.hpp>
#include <adaptrec/text/utf8.hpp>
#include <adaptrec/text/vocabulary.hpp>
#include <adaptrec/text/wordpiece.hpp>
