#pragma once
// Mini-batching as range-v3 views. A batch is a range of example indices; the
// caller maps it to tensors with `| ranges::views::transform(...)`:
//
//   auto to_tensors = [&](Batch batch) {
//     return std::pair{gather_ids(batch, [&](std::size_t i) { return train[i].user; }),
//                      gather_ids(batch, [&](std::size_t i) { return train[i].item; })};
//   };
//   for (auto [users, items] : shuffled_batches(train.size(), 256, seed + epoch) |
//                                  ranges::views::transform(to_tensors)) { ... }
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/tensor.hpp>
#include <adaptrec/data/shuffle.hpp>

#include <range/v3/range/concepts.hpp>
#include <range/v3/range/primitives.hpp>
#include <range/v3/view/chunk.hpp>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/take.hpp>
#include <range/v3/view/transform.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace adaptrec::data {

// One batch of shuffled_batches: a view of example indices into a permutation
// the batch range keeps alive.
using Batch = std::span<const std::size_t>;

namespace detail {

inline std::size_t batch_count(std::size_t n, std::size_t batch_size, bool drop_last,
                               const char* caller) {
  if (batch_size == 0) throw invalid_argument(std::string(caller) + ": batch_size must be positive");
  return drop_last ? n / batch_size : (n + batch_size - 1) / batch_size;
}

}  // namespace detail

// `range` in consecutive batches of `batch_size`; the last, shorter batch is
// kept unless drop_last. `range` must be a sized lvalue range or a view.
template <class Range>
  requires ranges::sized_range<Range> && ranges::viewable_range<Range>
auto batches(Range&& range, std::size_t batch_size, bool drop_last = false) {
  const std::size_t count = detail::batch_count(static_cast<std::size_t>(ranges::size(range)),
                                                batch_size, drop_last, "batches");
  return std::forward<Range>(range) |
         ranges::views::chunk(static_cast<ranges::range_difference_t<Range>>(batch_size)) |
         ranges::views::take(static_cast<std::ptrdiff_t>(count));
}

// The indices 0..n-1 in a seeded random order, cut into batches. One epoch per
// call: vary the seed (e.g. seed + epoch) for a new order each epoch.
inline auto shuffled_batches(std::size_t n, std::size_t batch_size, std::uint64_t seed,
                             bool drop_last = false) {
  const std::size_t count = detail::batch_count(n, batch_size, drop_last, "shuffled_batches");
  auto order = std::make_shared<const std::vector<std::size_t>>(shuffled_indices(n, seed));
  return ranges::views::iota(std::size_t{0}, count) |
         ranges::views::transform([order = std::move(order), batch_size](std::size_t b) {
           const std::size_t first = b * batch_size;
           return Batch(order->data() + first, std::min(batch_size, order->size() - first));
         });
}

// A rank-1 tensor holding value_of(i) for each index i of `batch`.
template <class T, class IndexRange, class F>
Tensor<T> gather(const IndexRange& batch, F&& value_of) {
  Tensor<T> values(Shape{static_cast<index_t>(ranges::distance(batch))});
  index_t k = 0;
  for (const auto i : batch) values[k++] = static_cast<T>(value_of(i));
  return values;
}

// The ids (users, items, features) of a batch's examples, for embedding lookups.
template <class IndexRange, class F>
Tensor<index_t> gather_ids(const IndexRange& batch, F&& id_of) {
  return gather<index_t>(batch, std::forward<F>(id_of));
}

}  // namespace adaptrec::data
