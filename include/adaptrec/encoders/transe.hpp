#pragma once
// TransE knowledge-graph embeddings (Bordes et al., "Translating Embeddings for
// Modeling Multi-relational Data", NeurIPS 2013): a relation is a translation,
// so a true triple (h, r, t) has e_h + r_r close to e_t, scored
//   f(h, r, t) = -||e_h + r_r - e_t||_p,   p = 1 or 2 (the paper's
// dissimilarity d, negated so that higher is better as for every adaptrec score).
//
// Tables `entity_embeddings.weight` [entities, dim] and
// `relation_embeddings.weight` [relations, dim] have row-sparse gradients as
// layers::Embedding's: a batch touches few rows, listed in touched_rows.
// Algorithm 1 of the paper initialises both uniformly in +-6/sqrt(dim), scales
// the relations to unit L2 norm once, and keeps every entity at unit L2 norm;
// normalize_touched_entities() restores that after each optimizer step on the
// rows the step moved.
//
// As an item Encoder, forward(entity ids) returns the entity rows, so a
// recommender can use the embeddings of the items' entities as item vectors.
#include <adaptrec/backend/cpu/parallel.hpp>
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>

#include <cmath>
#include <string>

namespace adaptrec::encoders {

enum class TransENorm { l1 = 1, l2 = 2 };

struct TransEOptions {
  index_t dim = 50;
  TransENorm norm = TransENorm::l1;
};

template <class T = float>
class TransE : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<index_t>;
  using output_type = Tensor<T>;

  TransE(index_t num_entities, index_t num_relations, const TransEOptions& options, Rng& rng)
      : norm_(options.norm) {
    if (num_entities <= 0 || num_relations <= 0 || options.dim <= 0)
      throw invalid_argument(
          "adaptrec::encoders::TransE: num_entities=" + std::to_string(num_entities) +
          ", num_relations=" + std::to_string(num_relations) +
          " and dim=" + std::to_string(options.dim) + " must all be positive");
    if (norm_ != TransENorm::l1 && norm_ != TransENorm::l2)
      throw invalid_argument("adaptrec::encoders::TransE: norm must be l1 or l2, got p=" +
                             std::to_string(static_cast<int>(norm_)));
    entities_ = Parameter<T>(Shape{num_entities, options.dim});
    relations_ = Parameter<T>(Shape{num_relations, options.dim});
    entities_.sparse = relations_.sparse = true;
    const T bound = T(6) / std::sqrt(T(options.dim));
    fill_uniform(entities_.value, -bound, bound, rng);
    fill_uniform(relations_.value, -bound, bound, rng);
    normalize_rows(relations_.value);
    normalize_entities();
  }

  index_t num_entities() const { return entities_.shape()[0]; }
  index_t num_relations() const { return relations_.shape()[0]; }
  index_t dim() const { return entities_.shape()[1]; }
  index_t output_dim() const { return dim(); }
  TransENorm norm() const { return norm_; }
  Parameter<T>& entity_embeddings() { return entities_; }
  Parameter<T>& relation_embeddings() { return relations_; }
  const Parameter<T>& entity_embeddings() const { return entities_; }
  const Parameter<T>& relation_embeddings() const { return relations_; }

  // triples: [n, 3] ids (head, relation, tail) -> scores [n].
  Tensor<T> score(const Tensor<index_t>& triples) {
    require_triples(triples);
    const index_t n = triples.dim(0);
    heads_ = column(triples, 0);
    relation_ids_ = column(triples, 1);
    tails_ = column(triples, 2);
    residuals_ = Tensor<T>(Shape{n, dim()});
    Tensor<T> gathered(Shape{n, dim()});
    backend::gather_rows(entities_.value, heads_, residuals_);
    backend::gather_rows(relations_.value, relation_ids_, gathered);
    backend::axpy(T(1), gathered, residuals_);
    backend::gather_rows(entities_.value, tails_, gathered);
    backend::axpy(T(-1), gathered, residuals_);
    Tensor<T> scores(Shape{n});
    const index_t d = dim();
    backend::cpu::parallel_for(
        n, d, [&](index_t i) { scores[i] = -distance(residuals_.data() + i * d, d); });
    scores_ = scores;
    return scores;
  }

  // d_scores [n] from the last score(); accumulates the rows of the triples.
  // d f / d e_h = d f / d r_r = -d f / d e_t = -sign(x) (p = 1) or -x / ||x||
  // (p = 2), with x = e_h + r_r - e_t and the subgradient 0 where x or a
  // coordinate of it is 0.
  void score_backward(const Tensor<T>& d_scores) {
    require_shape(d_scores, scores_.shape(),
                  "adaptrec::encoders::TransE::score_backward (d_scores)");
    const index_t n = scores_.size(), d = dim();
    Tensor<T> d_residuals(Shape{n, d});
    backend::cpu::parallel_for(n, d, [&](index_t i) {
      const T* x = residuals_.data() + i * d;
      T* g = d_residuals.data() + i * d;
      if (norm_ == TransENorm::l1) {
        for (index_t c = 0; c < d; ++c) g[c] = -d_scores[i] * T((x[c] > T(0)) - (x[c] < T(0)));
      } else if (const T length = -scores_[i]; length > T(0)) {
        for (index_t c = 0; c < d; ++c) g[c] = -d_scores[i] * x[c] / length;
      }
    });
    if (relations_.trainable) {
      backend::scatter_add_rows(d_residuals, relation_ids_, relations_.grad);
      relations_.mark_touched_rows(relation_ids_.data(), n);
    }
    if (!entities_.trainable) return;
    backend::scatter_add_rows(d_residuals, heads_, entities_.grad);
    backend::scale(d_residuals, T(-1));
    backend::scatter_add_rows(d_residuals, tails_, entities_.grad);
    entities_.mark_touched_rows(heads_.data(), n);
    entities_.mark_touched_rows(tails_.data(), n);
  }

  // f(head, relation, e) for every entity e as the tail: [num_entities]. The
  // ranking that link prediction evaluates; caches nothing.
  Tensor<T> score_tails(index_t head, index_t relation) const {
    require_id(head, num_entities(), "head entity");
    require_id(relation, num_relations(), "relation");
    const index_t d = dim();
    Tensor<T> query(Shape{d});
    const T* h = entities_.value.data() + head * d;
    const T* r = relations_.value.data() + relation * d;
    for (index_t c = 0; c < d; ++c) query[c] = h[c] + r[c];
    Tensor<T> scores(Shape{num_entities()});
    backend::cpu::parallel_for(num_entities(), 2 * d, [&](index_t e) {
      const T* t = entities_.value.data() + e * d;
      T sum = 0;
      if (norm_ == TransENorm::l1)
        for (index_t c = 0; c < d; ++c) sum += std::abs(query[c] - t[c]);
      else
        for (index_t c = 0; c < d; ++c) sum += (query[c] - t[c]) * (query[c] - t[c]);
      scores[e] = norm_ == TransENorm::l1 ? -sum : -std::sqrt(sum);
    });
    return scores;
  }

  // Scales every entity row to unit L2 norm (Algorithm 1, line 5).
  void normalize_entities() { normalize_rows(entities_.value); }

  // Scales the entity rows the last backward touched to unit L2 norm: call it
  // after the optimizer step and before zero_grad, which clears the list.
  void normalize_touched_entities() {
    const index_t d = dim();
    const auto& rows = entities_.touched_rows;
    backend::cpu::parallel_for(static_cast<index_t>(rows.size()), d, [&](index_t i) {
      normalize_row(entities_.value.data() + rows[static_cast<std::size_t>(i)] * d, d);
    });
  }

  // ids: entity ids of any shape of rank 0..3 -> ids.shape + [dim].
  Tensor<T> forward(const Tensor<index_t>& ids) {
    if (ids.rank() >= Shape::max_rank || ids.size() != ids.shape().numel())
      throw shape_error("adaptrec::encoders::TransE: ids of shape " + ids.shape().to_string() +
                        " (the ids need rank at most 3 and storage for every element)");
    Shape out_shape = ids.shape();
    out_shape.push_back(dim());
    Tensor<T> out(out_shape);
    try {
      backend::gather_rows(entities_.value, ids, out);
    } catch (const index_error& e) {
      throw index_error(std::string("adaptrec::encoders::TransE: entity ") + e.what());
    }
    ids_ = ids;
    return out;
  }

  // entity_embeddings.grad[ids[i], :] += dy[i, :].
  void backward(const Tensor<T>& dy) {
    Shape expected = ids_.shape();
    expected.push_back(dim());
    require_shape(dy, expected, "adaptrec::encoders::TransE::backward (gradient)");
    if (!entities_.trainable) return;
    backend::scatter_add_rows(dy, ids_, entities_.grad);
    entities_.mark_touched_rows(ids_.data(), ids_.size());
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    f(join_name(prefix, "entity_embeddings.weight"), entities_);
    f(join_name(prefix, "relation_embeddings.weight"), relations_);
  }

 private:
  T distance(const T* x, index_t d) const {
    T sum = 0;
    if (norm_ == TransENorm::l1) {
      for (index_t c = 0; c < d; ++c) sum += std::abs(x[c]);
      return sum;
    }
    for (index_t c = 0; c < d; ++c) sum += x[c] * x[c];
    return std::sqrt(sum);
  }

  static void normalize_row(T* row, index_t d) {
    T sum = 0;
    for (index_t c = 0; c < d; ++c) sum += row[c] * row[c];
    if (sum == T(0)) return;
    const T scale = T(1) / std::sqrt(sum);
    for (index_t c = 0; c < d; ++c) row[c] *= scale;
  }

  static void normalize_rows(Tensor<T>& table) {
    const index_t d = table.cols();
    backend::cpu::parallel_for(table.rows(), d,
                               [&](index_t r) { normalize_row(table.data() + r * d, d); });
  }

  static void require_id(index_t id, index_t count, const char* what) {
    if (id < 0 || id >= count)
      throw index_error(std::string("adaptrec::encoders::TransE: ") + what + " " +
                        std::to_string(id) + " is outside [0, " + std::to_string(count) + ")");
  }

  // Checked before any parallel loop: an exception must not leave an OpenMP region.
  void require_triples(const Tensor<index_t>& triples) const {
    if (triples.rank() != 2 || triples.dim(1) != 3 || triples.size() != triples.shape().numel())
      throw shape_error("adaptrec::encoders::TransE::score: triples of shape " +
                        triples.shape().to_string() + " (expected [n, 3]: head, relation, tail)");
    for (index_t i = 0; i < triples.dim(0); ++i) {
      const index_t h = triples[3 * i], r = triples[3 * i + 1], t = triples[3 * i + 2];
      if (h < 0 || h >= num_entities() || t < 0 || t >= num_entities() || r < 0 ||
          r >= num_relations())
        throw index_error("adaptrec::encoders::TransE::score: triple " + std::to_string(i) + " (" +
                          std::to_string(h) + ", " + std::to_string(r) + ", " + std::to_string(t) +
                          ") is outside the model's " + std::to_string(num_entities()) +
                          " entities and " + std::to_string(num_relations()) + " relations");
    }
  }

  static Tensor<index_t> column(const Tensor<index_t>& triples, index_t c) {
    Tensor<index_t> out(Shape{triples.dim(0)});
    for (index_t i = 0; i < out.size(); ++i) out[i] = triples[3 * i + c];
    return out;
  }

  TransENorm norm_;
  Parameter<T> entities_;
  Parameter<T> relations_;

  // Cached by score() for score_backward().
  Tensor<index_t> heads_, relation_ids_, tails_;
  Tensor<T> residuals_;  // e_h + r_r - e_t, [n, dim]
  Tensor<T> scores_;
  // Cached by forward() for backward().
  Tensor<index_t> ids_;
};

}  // namespace adaptrec::encoders
