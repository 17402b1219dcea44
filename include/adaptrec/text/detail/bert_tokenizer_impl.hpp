#pragma once
// Member definitions of adaptrec::text::BertTokenizer; include
// adaptrec/text/bert_tokenizer.hpp instead.
#include <adaptrec/text/bert_tokenizer.hpp>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>

namespace adaptrec::text {

inline BasicTokenizerOptions BertTokenizer::basic_options(const BertTokenizerOptions& options) {
  BasicTokenizerOptions basic;
  basic.do_lower_case = options.do_lower_case;
  basic.strip_accents = options.strip_accents;
  basic.tokenize_chinese_chars = options.tokenize_chinese_chars;
  // Hugging Face passes the special tokens as never_split beside the config's.
  for (const std::string& token : options.never_split) basic.never_split.push_back(decode_utf8(token));
  for (const std::string& token : options.special_tokens()) basic.never_split.push_back(decode_utf8(token));
  return basic;
}

inline void BertTokenizer::add_token(std::string_view text, index_t id, bool keep_case) {
  if (text.empty())
    throw invalid_argument("adaptrec::text::BertTokenizer: empty added or special token (id " +
                           std::to_string(id) + ")");
  std::u32string code_points = decode_utf8(text, TextSource{"added token"});
  for (AddedToken& added : added_)
    if (added.text == code_points) {
      added.keep_case = added.keep_case || keep_case;
      return;
    }
  added_.push_back(AddedToken{std::move(code_points), id, keep_case});
}

inline const BertTokenizer::AddedToken* BertTokenizer::added_token_at(std::u32string_view text, std::size_t at,
                                                                      bool only_keep_case) const {
  const AddedToken* best = nullptr;
  for (const AddedToken& added : added_) {
    if (added.text[0] != text[at] || (only_keep_case && !added.keep_case)) continue;
    if (text.substr(at).starts_with(added.text) && (!best || added.text.size() > best->text.size())) best = &added;
  }
  return best;
}

inline BertTokenizer::Workspace& BertTokenizer::thread_workspace() {
  thread_local Workspace workspace;
  return workspace;
}

template <class Emit>
void BertTokenizer::for_each_token(std::string_view text, Emit&& emit) const {
  Workspace& work = thread_workspace();
  work.code_points.clear();
  append_decoded_utf8(text, work.code_points);
  std::u32string_view view = work.code_points;

  // PreTrainedTokenizer.tokenize lower-cases the whole text, one character at
  // a time, before anything else, skipping special tokens (so "Σ" becomes "σ",
  // never the final "ς", and "[CLS]" stays).
  if (options_.do_lower_case) {
    work.lowered.clear();
    for (std::size_t at = 0; at < view.size();) {
      if (const AddedToken* added = added_token_at(view, at, true)) {
        work.lowered.append(added->text);
        at += added->text.size();
      } else {
        append_lowercase(work.lowered, view[at++]);
      }
    }
    view = work.lowered;
  }

  const auto emit_pieces = [&](std::u32string_view word) {
    work.ids.clear();
    wordpiece_.append_ids(word, work.wordpiece, work.ids);
    for (const index_t id : work.ids) emit(id, std::u32string_view{});
  };
  const auto process_chunk = [&](std::u32string_view chunk) {
    if (!options_.do_basic_tokenize) {
      for (std::size_t at = 0; at < chunk.size();) {
        while (at < chunk.size() && is_python_whitespace(chunk[at])) ++at;
        std::size_t end = at;
        while (end < chunk.size() && !is_python_whitespace(chunk[end])) ++end;
        if (end > at) emit_pieces(chunk.substr(at, end - at));
        at = end;
      }
      return;
    }
    basic_.split(chunk, work.basic, [&](std::u32string_view word, bool never_split) {
      if (!never_split) return emit_pieces(word);
      index_t id = unknown_id_;
      for (const AddedToken& added : added_)
        if (added.text == word) id = added.id;
      if (id == unknown_id_) {
        work.wordpiece.bytes.clear();
        append_utf8(work.wordpiece.bytes, word);
        id = vocabulary_->find(work.wordpiece.bytes).value_or(unknown_id_);
      }
      emit(id, word);
    });
  };

  // Added tokens are cut out of the text first and never tokenized further.
  std::size_t chunk_start = 0;
  for (std::size_t at = 0; at < view.size();) {
    const AddedToken* added = added_token_at(view, at, false);
    if (!added) {
      ++at;
      continue;
    }
    process_chunk(view.substr(chunk_start, at - chunk_start));
    emit(added->id, std::u32string_view{});
    at += added->text.size();
    chunk_start = at;
  }
  process_chunk(view.substr(chunk_start));
}

inline void BertTokenizer::check_max_length(index_t max_length, bool pair, const char* where) const {
  const index_t specials = pair ? 3 : 2;
  if (max_length < specials)
    throw invalid_argument("adaptrec::text::BertTokenizer::" + std::string(where) + ": max_length " +
                           std::to_string(max_length) + " is shorter than the " + std::to_string(specials) +
                           " special tokens of a " + (pair ? "pair" : "single text"));
}

inline Encoding BertTokenizer::assemble(std::vector<index_t> a, std::vector<index_t>* b,
                                        std::optional<index_t> max_length) const {
  const index_t specials = b ? 3 : 2;
  const auto size_a = static_cast<index_t>(a.size());
  const index_t size_b = b ? static_cast<index_t>(b->size()) : 0;
  const index_t excess = max_length ? size_a + size_b + specials - *max_length : 0;
  if (excess > 0 && !b) {
    // Hugging Face leaves the text whole (and logs an error) when truncating
    // would empty it; a sequence longer than max_length is no answer either.
    if (size_a <= excess)
      throw invalid_argument("adaptrec::text::BertTokenizer::encode: max_length " + std::to_string(*max_length) +
                             " leaves no room for any of the " + std::to_string(size_a) + " pieces of the text");
    a.resize(static_cast<std::size_t>(size_a - excess));
  } else if (excess > 0) {
    // tokenization_utils_base.py, truncate_sequences, LONGEST_FIRST: first
    // even out the lengths, then split the rest with b losing the odd piece.
    const index_t first_remove = std::min(std::abs(size_b - size_a), excess);
    const index_t second_remove = excess - first_remove;
    const index_t remove_a = size_a > size_b ? first_remove + second_remove / 2 : second_remove / 2;
    const index_t remove_b = excess - remove_a;
    a.resize(static_cast<std::size_t>(std::max<index_t>(0, size_a - remove_a)));
    b->resize(static_cast<std::size_t>(std::max<index_t>(0, size_b - remove_b)));
  }

  Encoding out;
  const std::size_t total = a.size() + (b ? b->size() + 3 : 2);
  out.ids.reserve(total);
  out.ids.push_back(classifier_id_);
  out.ids.insert(out.ids.end(), a.begin(), a.end());
  out.ids.push_back(separator_id_);
  out.token_type_ids.assign(out.ids.size(), 0);
  if (b) {
    out.ids.insert(out.ids.end(), b->begin(), b->end());
    out.ids.push_back(separator_id_);
    out.token_type_ids.resize(out.ids.size(), 1);
  }
  return out;
}

inline TokenBatch BertTokenizer::encode_batch_impl(const std::vector<std::string>& texts,
                                                   const std::vector<std::string>* pairs, index_t max_length,
                                                   Padding padding) const {
  check_max_length(max_length, pairs != nullptr, "encode_batch");
  const auto rows = static_cast<index_t>(texts.size());
  std::vector<Encoding> encoded(texts.size());
  std::vector<std::exception_ptr> failures(texts.size());
  // Exceptions must not leave an OpenMP region: each row keeps its own.
  constexpr index_t work_per_text = 1024;
  backend::cpu::parallel_for(rows, work_per_text, [&](index_t row) {
    const auto r = static_cast<std::size_t>(row);
    try {
      encoded[r] = encode_with_types(texts[r], pairs ? std::optional<std::string_view>((*pairs)[r]) : std::nullopt,
                                     max_length);
    } catch (...) {
      failures[r] = std::current_exception();
    }
  });
  for (std::size_t r = 0; r < failures.size(); ++r) {
    if (!failures[r]) continue;
    try {
      std::rethrow_exception(failures[r]);
    } catch (const invalid_argument& e) {
      throw invalid_argument("adaptrec::text::BertTokenizer::encode_batch: text " + std::to_string(r) + ": " +
                             e.what());
    }
  }

  index_t width = max_length;
  if (padding == Padding::longest) {
    width = 0;
    for (const Encoding& e : encoded) width = std::max(width, static_cast<index_t>(e.ids.size()));
  }
  TokenBatch batch{Tensor<index_t>::full(Shape{rows, width}, padding_id_), Tensor<index_t>(Shape{rows, width}),
                   Tensor<index_t>(Shape{rows, width})};
  for (index_t row = 0; row < rows; ++row) {
    const Encoding& e = encoded[static_cast<std::size_t>(row)];
    const auto length = static_cast<index_t>(e.ids.size());
    std::copy(e.ids.begin(), e.ids.end(), batch.input_ids.data() + row * width);
    std::copy(e.token_type_ids.begin(), e.token_type_ids.end(), batch.token_type_ids.data() + row * width);
    std::fill_n(batch.attention_mask.data() + row * width, length, index_t{1});
  }
  return batch;
}

inline std::string BertTokenizer::decode(std::span<const index_t> ids, bool skip_special_tokens) const {
  const std::vector<std::string> specials = options_.special_tokens();
  std::string joined;
  bool first = true;
  for (const index_t id : ids) {
    std::string piece = token(id);
    if (skip_special_tokens && std::find(specials.begin(), specials.end(), piece) != specials.end()) continue;
    if (!first) joined.push_back(' ');
    first = false;
    joined += piece;
  }
  const auto replace_all = [](std::string& text, std::string_view from, std::string_view to) {
    std::string out;
    std::size_t at = 0;
    for (std::size_t found; (found = text.find(from, at)) != std::string::npos; at = found + from.size())
      out.append(text, at, found - at).append(to);
    text = out.append(text, at);
  };
  replace_all(joined, " ##", "");
  // Python's str.strip(): Unicode whitespace at both ends.
  std::u32string code_points = decode_utf8(joined);
  std::size_t begin = 0, end = code_points.size();
  while (begin < end && is_python_whitespace(code_points[begin])) ++begin;
  while (end > begin && is_python_whitespace(code_points[end - 1])) --end;
  std::string text = encode_utf8(std::u32string_view(code_points).substr(begin, end - begin));
  // PreTrainedTokenizerBase.clean_up_tokenization, in its order.
  static constexpr std::pair<std::string_view, std::string_view> clean_ups[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  if (options_.clean_up_tokenization_spaces)
    for (const auto& [from, to] : clean_ups) replace_all(text, from, to);
  return text;
}

}  // namespace adaptrec::text
