#pragma once
// A padded batch of token sequences: what a tokenizer produces and what a text
// encoder consumes. All three tensors are [batch, sequence] and row-major;
// attention_mask is 1 for real tokens and 0 for padding, as in Hugging Face's
// BatchEncoding.
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/tensor.hpp>

#include <string>

namespace adaptrec::text {

struct TokenBatch {
  Tensor<index_t> input_ids;
  Tensor<index_t> token_type_ids;
  Tensor<index_t> attention_mask;

  index_t batch_size() const { return input_ids.rank() == 2 ? input_ids.dim(0) : 0; }
  index_t sequence_length() const { return input_ids.rank() == 2 ? input_ids.dim(1) : 0; }

  // Throws unless the three tensors are rank 2 with one shape, the mask holds
  // only 0 and 1, and every row has at least one real token.
  void validate(const std::string& where) const {
    if (input_ids.rank() != 2 || !(token_type_ids.shape() == input_ids.shape()) ||
        !(attention_mask.shape() == input_ids.shape()))
      throw shape_error(where + ": token batch tensors must share one [batch, sequence] shape, got input_ids " +
                        input_ids.shape().to_string() + ", token_type_ids " +
                        token_type_ids.shape().to_string() + ", attention_mask " +
                        attention_mask.shape().to_string());
    const index_t rows = input_ids.dim(0), cols = input_ids.dim(1);
    for (index_t r = 0; r < rows; ++r) {
      index_t real = 0;
      for (index_t c = 0; c < cols; ++c) {
        const index_t m = attention_mask.data()[r * cols + c];
        if (m != 0 && m != 1)
          throw invalid_argument(where + ": attention_mask[" + std::to_string(r) + ", " +
                                 std::to_string(c) + "] is " + std::to_string(m) +
                                 ", expected 0 or 1");
        real += m;
      }
      if (real == 0)
        throw invalid_argument(where + ": row " + std::to_string(r) +
                               " of the token batch has no real token (attention_mask all 0)");
    }
  }
};

}  // namespace adaptrec::text
