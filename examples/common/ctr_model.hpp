#pragma once
// The CTR models of examples/movielens_ctr.cpp: DCN-V2 (Wang et al., WWW 2021,
// the parallel form: cross network beside a deep MLP over the same field
// embeddings) and logistic regression over the same fields.
#include "movielens_features.hpp"

#include <adaptrec/backend/ops.hpp>
#include <adaptrec/data/split.hpp>
#include <adaptrec/layers.hpp>
#include <adaptrec/layers/cross_network.hpp>

#include <span>
#include <string>
#include <vector>

namespace examples {

using adaptrec::index_t;
using adaptrec::Tensor;

// One batch of (user, item) impressions as categorical fields.
struct CtrFeatures {
  Tensor<index_t> user, item, gender, age, occupation, year;
  adaptrec::layers::Bags genres;
  Tensor<float> labels;
};

inline CtrFeatures ctr_features(const adaptrec::data::MovieLens& ml,
                                std::span<const adaptrec::data::Interaction> rows) {
  const auto n = static_cast<index_t>(rows.size());
  const adaptrec::Shape shape{n};
  CtrFeatures f{Tensor<index_t>(shape), Tensor<index_t>(shape), Tensor<index_t>(shape),
                Tensor<index_t>(shape), Tensor<index_t>(shape), Tensor<index_t>(shape),
                {},                     Tensor<float>(shape)};
  std::vector<std::vector<index_t>> genres(rows.size());
  for (index_t i = 0; i < n; ++i) {
    const auto& r = rows[static_cast<std::size_t>(i)];
    const auto& u = ml.users[static_cast<std::size_t>(r.user)];
    const auto& m = ml.movies[static_cast<std::size_t>(r.item)];
    f.user[i] = r.user;
    f.item[i] = r.item;
    f.gender[i] = gender_id(u.gender);
    f.age[i] = age_bucket(u.age);
    f.occupation[i] = u.occupation;
    f.year[i] = year_bucket(m.year);
    genres[static_cast<std::size_t>(i)].assign(m.genres.begin(), m.genres.end());
    f.labels[i] = r.label;
  }
  f.genres = adaptrec::layers::make_bags(genres);
  return f;
}

struct CtrConfig {
  index_t num_users = 0, num_items = 0, num_occupations = 0, num_genres = 0;
  index_t field_dim = 16;
  int cross_layers = 3;
  std::vector<index_t> deep_hidden = {256, 128};
  float dropout = 0.1f;
};

// Every categorical field embedded to the same width, concatenated: the x0 of
// DCN. With field_dim 1 and a sum instead of the concatenation this is the
// linear part of logistic regression, which reuses it.
template <class T = float>
class FieldEmbeddings : public adaptrec::TrainingMode {
 public:
  static constexpr int fields = 7;
  FieldEmbeddings(const CtrConfig& c, index_t dim, adaptrec::Rng& rng)
      : user_(c.num_users, dim, rng), item_(c.num_items, dim, rng), gender_(2, dim, rng),
        age_(age_buckets, dim, rng), occupation_(c.num_occupations, dim, rng),
        year_(year_buckets, dim, rng), genres_(c.num_genres, dim, rng), dim_(dim) {}

  index_t width() const { return fields * dim_; }

  Tensor<T> forward(const CtrFeatures& f) {
    const Tensor<T> parts[] = {user_.forward(f.user),     item_.forward(f.item),
                               gender_.forward(f.gender), age_.forward(f.age),
                               occupation_.forward(f.occupation), year_.forward(f.year),
                               genres_.forward(f.genres)};
    return adaptrec::backend::concat_columns<T>(
        {&parts[0], &parts[1], &parts[2], &parts[3], &parts[4], &parts[5], &parts[6]});
  }

  void backward(const Tensor<T>& dx) {
    auto parts = adaptrec::backend::split_columns(dx, std::vector<index_t>(fields, dim_));
    user_.backward(parts[0]);
    item_.backward(parts[1]);
    gender_.backward(parts[2]);
    age_.backward(parts[3]);
    occupation_.backward(parts[4]);
    year_.backward(parts[5]);
    genres_.backward(parts[6]);
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    using adaptrec::join_name;
    user_.visit_parameters(f, join_name(prefix, "user_id"));
    item_.visit_parameters(f, join_name(prefix, "item_id"));
    gender_.visit_parameters(f, join_name(prefix, "gender"));
    age_.visit_parameters(f, join_name(prefix, "age"));
    occupation_.visit_parameters(f, join_name(prefix, "occupation"));
    year_.visit_parameters(f, join_name(prefix, "year"));
    genres_.visit_parameters(f, join_name(prefix, "genres"));
  }

 private:
  adaptrec::layers::Embedding<T> user_, item_, gender_, age_, occupation_, year_;
  adaptrec::layers::EmbeddingBag<T> genres_;
  index_t dim_;
};

// DCN-V2, parallel structure: logit = w^T [cross(x0); deep(x0)] + b.
template <class T = float>
class DcnModel : public adaptrec::TrainingMode {
 public:
  using scalar_type = T;
  DcnModel(const CtrConfig& c, adaptrec::Rng& rng, std::uint64_t dropout_seed)
      : embeddings_(c, c.field_dim, rng),
        cross_(embeddings_.width(), c.cross_layers, rng),
        deep_(sizes(embeddings_.width(), c.deep_hidden), rng, adaptrec::backend::Activation::relu,
              T(c.dropout), dropout_seed, /*activate_last=*/true),
        head_(embeddings_.width() + c.deep_hidden.back(), 1, rng) {}

  // Returns one logit per impression, shape [batch].
  Tensor<T> forward(const CtrFeatures& f) {
    const Tensor<T> x0 = embeddings_.forward(f);
    const Tensor<T> crossed = cross_.forward(x0);
    const Tensor<T> deep = deep_.forward(x0);
    Tensor<T> logits = head_.forward(adaptrec::backend::concat_columns<T>({&crossed, &deep}));
    logits.reshape(adaptrec::Shape{logits.rows()});
    return logits;
  }

  void backward(const Tensor<T>& d_logits) {
    auto parts = adaptrec::backend::split_columns(
        head_.backward(d_logits.reshaped(adaptrec::Shape{d_logits.size(), 1})),
        {embeddings_.width(), deep_.out_features()});
    Tensor<T> dx0 = cross_.backward(parts[0]);
    adaptrec::backend::axpy(T(1), deep_.backward(parts[1]), dx0);
    embeddings_.backward(dx0);
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    using adaptrec::join_name;
    embeddings_.visit_parameters(f, join_name(prefix, "embeddings"));
    cross_.visit_parameters(f, join_name(prefix, "cross"));
    deep_.visit_parameters(f, join_name(prefix, "deep"));
    head_.visit_parameters(f, join_name(prefix, "head"));
  }

  void train(bool on = true) {
    training_ = on;
    deep_.train(on);
  }

 private:
  static std::vector<index_t> sizes(index_t in, const std::vector<index_t>& hidden) {
    std::vector<index_t> s{in};
    s.insert(s.end(), hidden.begin(), hidden.end());
    return s;
  }

  FieldEmbeddings<T> embeddings_;
  adaptrec::layers::CrossNetwork<T> cross_;
  adaptrec::layers::MLP<T> deep_;
  adaptrec::layers::Linear<T> head_;
};

// Logistic regression: logit = b + sum over fields of a per-value weight.
template <class T = float>
class LogisticRegression : public adaptrec::TrainingMode {
 public:
  using scalar_type = T;
  LogisticRegression(const CtrConfig& c, adaptrec::Rng& rng)
      : weights_(c, 1, rng), bias_(adaptrec::Shape{1}) {}

  Tensor<T> forward(const CtrFeatures& f) {
    const Tensor<T> w = weights_.forward(f);  // [batch, fields]
    Tensor<T> logits = Tensor<T>::full(adaptrec::Shape{w.rows()}, bias_.value[0]);
    for (index_t r = 0; r < w.rows(); ++r)
      for (index_t c = 0; c < w.cols(); ++c) logits[r] += w(r, c);
    rows_ = w.rows();
    return logits;
  }

  void backward(const Tensor<T>& d_logits) {
    Tensor<T> dw(adaptrec::Shape{rows_, FieldEmbeddings<T>::fields});
    for (index_t r = 0; r < rows_; ++r)
      for (index_t c = 0; c < dw.cols(); ++c) dw(r, c) = d_logits[r];
    weights_.backward(dw);
    adaptrec::backend::accumulate_column_sums(d_logits.reshaped(adaptrec::Shape{rows_, 1}),
                                              bias_.grad);
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    weights_.visit_parameters(f, adaptrec::join_name(prefix, "weights"));
    f(adaptrec::join_name(prefix, "bias"), bias_);
  }

 private:
  FieldEmbeddings<T> weights_;
  adaptrec::Parameter<T> bias_;
  index_t rows_ = 0;
};

}  // namespace examples
