#pragma once
// Input checks shared by the metrics: scores must not be NaN, labels must be
// exactly 0 or 1, and batch inputs must have matching lengths. Messages name the
// metric and the offending position, both within the batch and counted from the
// last reset(), so a bad example can be found in a long evaluation stream.
#include <adaptrec/core/error.hpp>

#include <cmath>
#include <concepts>
#include <cstddef>
#include <ranges>
#include <sstream>
#include <string>
#include <type_traits>

namespace adaptrec::metrics {

// A value type accepted as a label: any arithmetic type holding exactly 0 or 1.
template <class L>
concept label_value = std::is_arithmetic_v<L>;

// A batch of scores, labels or ids: anything indexable with a known length
// (std::span, std::vector, Tensor<T>'s element range...).
template <class R>
concept batch_range = std::ranges::random_access_range<R> && std::ranges::sized_range<R> &&
    std::is_arithmetic_v<std::remove_cvref_t<std::ranges::range_value_t<R>>>;

namespace detail {

// Where an example sits: "position 3 of the batch (example 103 since reset)" for
// batch input, "example 103 since reset" for a single add().
struct Position {
  std::size_t in_stream;
  std::size_t in_batch;
  bool batched;

  std::string to_string() const {
    std::ostringstream s;
    if (batched)
      s << "position " << in_batch << " of the batch (example " << in_stream << " since reset)";
    else
      s << "example " << in_stream << " since reset";
    return s.str();
  }
};

inline Position single(std::size_t in_stream) { return {in_stream, 0, false}; }
inline Position batch(std::size_t first_in_stream, std::size_t i) {
  return {first_in_stream + i, i, true};
}

inline double checked_score(double score, const char* where, Position at) {
  if (std::isnan(score))
    throw invalid_argument(std::string(where) + ": score at " + at.to_string() + " is NaN");
  return score;
}

inline double checked_probability(double p, const char* where, Position at) {
  if (std::isnan(p) || p < 0.0 || p > 1.0) {
    std::ostringstream s;
    s << where << ": probability at " << at.to_string() << " is " << p
      << ", outside [0, 1] (pass logits to add_logit)";
    throw invalid_argument(s.str());
  }
  return p;
}

template <label_value L>
int checked_label(L label, const char* where, Position at) {
  if (label == L(0)) return 0;
  if (label == L(1)) return 1;
  std::ostringstream s;
  s << where << ": label at " << at.to_string() << " is " << +label << ", expected 0 or 1";
  throw invalid_argument(s.str());
}

template <class A, class B>
void require_same_length(const A& a, const char* a_name, const B& b, const char* b_name,
                         const char* where) {
  const auto na = std::ranges::size(a);
  const auto nb = std::ranges::size(b);
  if (static_cast<std::size_t>(na) != static_cast<std::size_t>(nb))
    throw shape_error(std::string(where) + ": " + a_name + " has " + std::to_string(na) +
                      " elements but " + b_name + " has " + std::to_string(nb));
}

// Checks a whole batch of (score, label) pairs before a metric adds any of it:
// equal lengths, no NaN score, labels 0 or 1. `first` is the stream position
// of the batch's first example, for the error message.
template <class Scores, class Labels>
void validate_scored_batch(const Scores& scores, const char* scores_name, const Labels& labels,
                           const char* where, std::size_t first) {
  require_same_length(scores, scores_name, labels, "labels", where);
  const std::size_t n = std::ranges::size(scores);
  const auto score_at = std::ranges::begin(scores);
  const auto label_at = std::ranges::begin(labels);
  for (std::size_t i = 0; i < n; ++i) {
    checked_score(static_cast<double>(score_at[i]), where, batch(first, i));
    checked_label(label_at[i], where, batch(first, i));
  }
}

}  // namespace detail
}  // namespace adaptrec::metrics
