#pragma once
// Lookup table y[..., :] = weight[ids[...], :], named `weight` [num, dim] as
// PyTorch's nn.Embedding. Its gradient is row-sparse: a batch touches a few
// rows of a table that may hold millions, so backward accumulates only those
// rows and lists them in weight.touched_rows for zero_grad and the optimizers.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>

#include <string>

namespace adaptrec::layers {

template <class T = float>
class Embedding : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<index_t>;
  using output_type = Tensor<T>;

  // Rows drawn from N(0, init_stddev^2); 0.1 keeps dot-product scores of fresh
  // factorisation models small (PyTorch's default is N(0, 1)).
  Embedding(index_t num_embeddings, index_t dim, Rng& rng, T init_stddev = T(0.1)) {
    if (num_embeddings <= 0 || dim <= 0)
      throw invalid_argument("adaptrec::layers::Embedding: num_embeddings=" +
                             std::to_string(num_embeddings) + " and dim=" + std::to_string(dim) +
                             " must both be positive");
    if (!(init_stddev >= T(0)))
      throw invalid_argument("adaptrec::layers::Embedding: init_stddev must be >= 0, got " +
                             std::to_string(init_stddev));
    weight_ = Parameter<T>(Shape{num_embeddings, dim});
    weight_.sparse = true;
    fill_normal(weight_.value, T(0), init_stddev, rng);
  }

  index_t num_embeddings() const { return weight_.shape()[0]; }
  index_t dim() const { return weight_.shape()[1]; }
  index_t output_dim() const { return dim(); }  // as encoders::Encoder names it
  Parameter<T>& weight() { return weight_; }
  const Parameter<T>& weight() const { return weight_; }

  // ids: any shape of rank 0..3 -> ids.shape + [dim].
  Tensor<T> forward(const Tensor<index_t>& ids) {
    if (ids.rank() >= Shape::max_rank || ids.size() != ids.shape().numel())
      throw shape_error("adaptrec::layers::Embedding: ids of shape " + ids.shape().to_string() +
                        " (the ids need rank at most 3 and storage for every element)");
    Shape out_shape = ids.shape();
    out_shape.push_back(dim());
    Tensor<T> out(out_shape);
    try {
      backend::gather_rows(weight_.value, ids, out);
    } catch (const index_error& e) {
      throw index_error(std::string("adaptrec::layers::Embedding: ") + e.what());
    }
    ids_ = ids;
    return out;
  }

  // weight.grad[ids[i], :] += dy[i, :]; only these rows are touched.
  void backward(const Tensor<T>& dy) {
    Shape expected = ids_.shape();
    expected.push_back(dim());
    if (!(dy.shape() == expected))
      throw shape_error("adaptrec::layers::Embedding::backward: gradient of shape " +
                        dy.shape().to_string() + " does not match the forward output " +
                        expected.to_string());
    if (!weight_.trainable) return;
    backend::scatter_add_rows(dy, ids_, weight_.grad);
    weight_.mark_touched_rows(ids_.data(), ids_.size());
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    f(join_name(prefix, "weight"), weight_);
  }

 private:
  Parameter<T> weight_;
  Tensor<index_t> ids_;
};

}  // namespace adaptrec::layers
