#pragma once
// Pooled lookups: one output row per bag of ids, the sum or mean of the bag's
// embedding rows, without materialising the per-id rows (PyTorch's
// nn.EmbeddingBag; the user history or multi-hot feature encoder of a
// recommender). Parameter `weight` [num, dim] with row-sparse gradients, as in
// Embedding.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace adaptrec::layers {

enum class BagReduction { sum, mean };

// PyTorch's flat layout: bag b holds ids[offsets[b] .. offsets[b + 1]) (the
// last bag runs to the end of ids). Both rank 1; a bag may be empty.
struct Bags {
  Tensor<index_t> ids;
  Tensor<index_t> offsets;

  index_t num_bags() const { return offsets.size(); }
};

// Bags from one id list per bag.
inline Bags make_bags(const std::vector<std::vector<index_t>>& lists) {
  index_t total = 0;
  for (const auto& list : lists) total += static_cast<index_t>(list.size());
  Bags bags{Tensor<index_t>(Shape{total}),
            Tensor<index_t>(Shape{static_cast<index_t>(lists.size())})};
  index_t pos = 0;
  for (std::size_t b = 0; b < lists.size(); ++b) {
    bags.offsets[static_cast<index_t>(b)] = pos;
    for (index_t id : lists[b]) bags.ids[pos++] = id;
  }
  return bags;
}

template <class T = float>
class EmbeddingBag : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Bags;
  using output_type = Tensor<T>;

  EmbeddingBag(index_t num_embeddings, index_t dim, Rng& rng,
               BagReduction mode = BagReduction::mean, T init_stddev = T(0.1))
      : mode_(mode) {
    if (num_embeddings <= 0 || dim <= 0)
      throw invalid_argument("adaptrec::layers::EmbeddingBag: num_embeddings=" +
                             std::to_string(num_embeddings) + " and dim=" + std::to_string(dim) +
                             " must both be positive");
    if (!(init_stddev >= T(0)))
      throw invalid_argument("adaptrec::layers::EmbeddingBag: init_stddev must be >= 0, got " +
                             std::to_string(init_stddev));
    weight_ = Parameter<T>(Shape{num_embeddings, dim});
    weight_.sparse = true;
    fill_normal(weight_.value, T(0), init_stddev, rng);
  }

  index_t num_embeddings() const { return weight_.shape()[0]; }
  index_t dim() const { return weight_.shape()[1]; }
  BagReduction mode() const { return mode_; }
  Parameter<T>& weight() { return weight_; }
  const Parameter<T>& weight() const { return weight_; }

  // -> [num_bags, dim]; an empty bag gives a zero row.
  Tensor<T> forward(const Bags& bags) { return forward(bags, Tensor<T>{}); }

  // Sum mode only: bag b's row is sum_i per_id_weights[i] * weight[ids[i]], with
  // per_id_weights shaped like ids (PyTorch's per_sample_weights). Their
  // gradient is kept in per_id_weights_grad() after backward.
  Tensor<T> forward(const Bags& bags, const Tensor<T>& per_id_weights) {
    validate(bags, per_id_weights);
    bags_ = bags;
    per_id_weights_ = per_id_weights;
    per_id_weights_grad_ = Tensor<T>{};
    Tensor<T> out(Shape{bags.num_bags(), dim()});
    backend::embedding_bag_forward(weight_.value, bags.ids, bags.offsets, per_id_weights,
                                   mode_ == BagReduction::mean, out);
    return out;
  }

  // Scatters dy[b, :] (scaled by the id's weight, or 1/|bag| in mean mode)
  // into the rows of bag b's ids; only these rows are touched.
  void backward(const Tensor<T>& dy) {
    require_shape(dy, Shape{bags_.num_bags(), dim()}, "adaptrec::layers::EmbeddingBag::backward");
    const index_t cols = dim();
    if (!per_id_weights_.empty()) {
      // d L / d w_i = <dy[bag(i)], weight[ids[i]]>
      per_id_weights_grad_ = Tensor<T>(per_id_weights_.shape());
      for (index_t b = 0; b < bags_.num_bags(); ++b)
        for (index_t i = bag_begin(b); i < bag_end(b); ++i) {
          const T* d = dy.data() + b * cols;
          const T* w = weight_.value.data() + bags_.ids[i] * cols;
          T s = 0;
          for (index_t c = 0; c < cols; ++c) s += d[c] * w[c];
          per_id_weights_grad_[i] = s;
        }
    }
    if (!weight_.trainable) return;
    backend::embedding_bag_backward(dy, bags_.ids, bags_.offsets, per_id_weights_,
                                    mode_ == BagReduction::mean, weight_.grad);
    weight_.mark_touched_rows(bags_.ids.data(), bags_.ids.size());
  }

  // Gradient with respect to the per-id weights of the last weighted forward.
  const Tensor<T>& per_id_weights_grad() const { return per_id_weights_grad_; }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    f(join_name(prefix, "weight"), weight_);
  }

 private:
  index_t bag_begin(index_t b) const { return bags_.offsets[b]; }
  index_t bag_end(index_t b) const {
    return b + 1 < bags_.num_bags() ? bags_.offsets[b + 1] : bags_.ids.size();
  }
  void validate(const Bags& bags, const Tensor<T>& per_id_weights) const {
    const std::string where = "adaptrec::layers::EmbeddingBag: ";
    if (bags.ids.rank() != 1 && !(bags.ids.rank() == 0 && bags.ids.size() == 0))
      throw shape_error(where + "ids must be rank 1, got shape " + bags.ids.shape().to_string());
    if (bags.offsets.rank() != 1 && !(bags.offsets.rank() == 0 && bags.offsets.size() == 0))
      throw shape_error(where + "offsets must be rank 1, got shape " +
                        bags.offsets.shape().to_string());
    const index_t n_ids = bags.ids.size(), n_bags = bags.offsets.size();
    if (n_bags == 0 && n_ids > 0)
      throw shape_error(where + std::to_string(n_ids) + " ids but no offsets: every id needs a bag");
    for (index_t b = 0; b < n_bags; ++b) {
      const index_t off = bags.offsets[b];
      if (off < 0 || off > n_ids || (b == 0 && off != 0))
        throw index_error(where + "offset " + std::to_string(off) + " of bag " +
                          std::to_string(b) +
                          (b == 0 ? " must be 0 (the first bag starts at the first id)"
                                  : " is outside [0, " + std::to_string(n_ids) + "] for " +
                                        std::to_string(n_ids) + " ids"));
      if (b > 0 && off < bags.offsets[b - 1])
        throw shape_error(where + "offset " + std::to_string(off) + " of bag " +
                          std::to_string(b) + " is smaller than offset " +
                          std::to_string(bags.offsets[b - 1]) + " of bag " +
                          std::to_string(b - 1) + " (offsets must be non-decreasing)");
    }
    const index_t rows = num_embeddings();
    for (index_t i = 0; i < n_ids; ++i)
      if (bags.ids[i] < 0 || bags.ids[i] >= rows)
        throw index_error(where + "id " + std::to_string(bags.ids[i]) + " at position " +
                          std::to_string(i) + " is outside [0, " + std::to_string(rows) +
                          ") for a table of shape " + weight_.shape().to_string());
    if (!per_id_weights.empty()) {
      if (mode_ != BagReduction::sum)
        throw invalid_argument(where + "per-id weights need BagReduction::sum, as in PyTorch");
      if (per_id_weights.size() != n_ids || per_id_weights.rank() != 1)
        throw shape_error(where + "per-id weights of shape " +
                          per_id_weights.shape().to_string() + " do not match ids of shape " +
                          bags.ids.shape().to_string());
      for (index_t i = 0; i < n_ids; ++i)
        if (std::isnan(per_id_weights[i]))
          throw invalid_argument(where + "per-id weight at position " + std::to_string(i) +
                                 " is NaN");
    }
  }

  Parameter<T> weight_;
  BagReduction mode_;
  Bags bags_;
  Tensor<T> per_id_weights_;
  Tensor<T> per_id_weights_grad_;
};

}  // namespace adaptrec::layers
