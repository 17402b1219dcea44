#pragma once
// Internal helpers shared by the fusion modules: validation of the source
// widths and of the sources a forward receives, with messages that name the
// fusion, the source index and the shapes involved; and the column-wise
// concatenation of the sources that several fusions start from.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/core/tensor.hpp>
#include <adaptrec/layers/linear.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace adaptrec::fusion::detail {

inline std::string where(const char* fusion) { return std::string("adaptrec::fusion::") + fusion; }

// The widths as given, once each is known to be positive and there is at least one.
inline std::vector<index_t> checked_source_dims(const char* fusion, std::vector<index_t> dims) {
  if (dims.empty())
    throw invalid_argument(where(fusion) + ": source_dims is empty; a fusion needs a source");
  for (std::size_t i = 0; i < dims.size(); ++i)
    if (dims[i] <= 0)
      throw invalid_argument(where(fusion) + ": source_dims[" + std::to_string(i) + "] = " +
                             std::to_string(dims[i]) + " must be positive");
  return dims;
}

inline index_t checked_positive(const char* fusion, const char* what, index_t value) {
  if (value <= 0)
    throw invalid_argument(where(fusion) + ": " + what + " = " + std::to_string(value) +
                           " must be positive");
  return value;
}

inline index_t total_width(const std::vector<index_t>& dims) {
  index_t total = 0;
  for (index_t d : dims) total += d;
  return total;
}

// Checks that there is one source per width, each [batch, source_dims[i]] with
// the batch of source 0; returns the batch size.
template <class T>
index_t check_sources(const char* fusion, const std::vector<Tensor<T>>& sources,
                      const std::vector<index_t>& dims) {
  if (sources.size() != dims.size())
    throw shape_error(where(fusion) + ": expected " + std::to_string(dims.size()) +
                      " sources, got " + std::to_string(sources.size()));
  const bool batch_known = sources[0].rank() == 2;
  const index_t batch = batch_known ? sources[0].dim(0) : 0;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const Tensor<T>& s = sources[i];
    if (s.rank() != 2 || s.dim(1) != dims[i])
      throw shape_error(where(fusion) + ": source " + std::to_string(i) + " has shape " +
                        s.shape().to_string() + ", expected " +
                        (batch_known ? Shape{batch, dims[i]}.to_string()
                                     : "[batch, " + std::to_string(dims[i]) + "]"));
    if (s.dim(0) != batch)
      throw shape_error(where(fusion) + ": source " + std::to_string(i) + " has shape " +
                        s.shape().to_string() + " but source 0 has shape " +
                        sources[0].shape().to_string() + ": the batch sizes differ");
  }
  return batch;
}

// The gradient a backward receives must match the output of the last forward.
template <class T>
void check_output_gradient(const char* fusion, const Tensor<T>& dy, const Shape& forward_output) {
  if (!(dy.shape() == forward_output))
    throw shape_error(where(fusion) + "::backward: gradient of shape " + dy.shape().to_string() +
                      " does not match the forward output " + forward_output.to_string() +
                      (forward_output.rank() == 0 ? " (no forward yet)" : ""));
}

// [x_1; ...; x_n] along the feature dimension: [batch, sum of widths].
template <class T>
Tensor<T> concat_sources(const std::vector<Tensor<T>>& sources) {
  std::vector<const Tensor<T>*> parts;
  parts.reserve(sources.size());
  for (const Tensor<T>& s : sources) parts.push_back(&s);
  return backend::concat_columns(parts);
}

// One Linear per source, source_dims[i] -> width, drawn from rng in source order.
template <class T>
std::vector<layers::Linear<T>> make_projections(const std::vector<index_t>& source_dims,
                                                index_t width, Rng& rng) {
  std::vector<layers::Linear<T>> projections;
  projections.reserve(source_dims.size());
  for (index_t d : source_dims) projections.emplace_back(d, width, rng);
  return projections;
}

}  // namespace adaptrec::fusion::detail
