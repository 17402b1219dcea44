#pragma once
// What a streaming metric can do: accumulate batch after batch with add(...),
// report how many examples (or queries) it has seen, and start over with
// reset(). A ScalarMetric also summarises itself as one double.
#include <concepts>
#include <cstddef>

namespace adaptrec::metrics {

template <class M>
concept StreamingMetric = requires(M& metric, const M& seen) {
  { seen.count() } -> std::same_as<std::size_t>;
  metric.reset();
};

template <class M>
concept ScalarMetric = StreamingMetric<M> && requires(const M& seen) {
  { seen.value() } -> std::same_as<double>;
};

}  // namespace adaptrec::metrics
