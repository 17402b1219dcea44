#pragma once
// The MovieLens two-tower retrieval model of examples/movielens_two_tower.cpp.
//
// User tower: user id, gender, age group, occupation, the mean of the items the
// user saw before (all of them, and the five most recent), then an MLP.
// Item tower: item id, genres (mean of genre embeddings), release-year bucket,
// then an MLP. Both outputs are L2-normalised and trained with in-batch
// sampled softmax (Yi et al., RecSys 2019).
#include "movielens_features.hpp"

#include <adaptrec/backend/ops.hpp>
#include <adaptrec/layers.hpp>
#include <adaptrec/layers/l2_normalize.hpp>

#include <span>
#include <string>
#include <vector>

namespace examples {

using adaptrec::index_t;
using adaptrec::Tensor;

struct TwoTowerConfig {
  index_t num_users = 0, num_items = 0, num_occupations = 0, num_genres = 0;
  index_t id_dim = 32, attribute_dim = 8, history_dim = 32, genre_dim = 16;
  index_t hidden = 128, output = 64;
  int recent_items = 5;
};

// A batch of users: one entry per row, histories as bags of item ids.
struct UserFeatures {
  Tensor<index_t> user, gender, age, occupation;
  adaptrec::layers::Bags history, recent;
};

struct ItemFeatures {
  Tensor<index_t> item, year;
  adaptrec::layers::Bags genres;
};

template <class T = float>
class UserTower : public adaptrec::TrainingMode {
 public:
  using scalar_type = T;
  UserTower(const TwoTowerConfig& c, adaptrec::Rng& rng)
      : id_(c.num_users, c.id_dim, rng),
        gender_(2, c.attribute_dim, rng),
        age_(age_buckets, c.attribute_dim, rng),
        occupation_(c.num_occupations, c.attribute_dim, rng),
        history_(c.num_items, c.history_dim, rng),
        recent_(c.num_items, c.history_dim, rng),
        mlp_({c.id_dim + 3 * c.attribute_dim + 2 * c.history_dim, c.hidden, c.output}, rng),
        widths_{c.id_dim, c.attribute_dim, c.attribute_dim, c.attribute_dim, c.history_dim,
                c.history_dim} {}

  Tensor<T> forward(const UserFeatures& f) {
    const Tensor<T> parts[] = {id_.forward(f.user),         gender_.forward(f.gender),
                               age_.forward(f.age),         occupation_.forward(f.occupation),
                               history_.forward(f.history), recent_.forward(f.recent)};
    Tensor<T> x = adaptrec::backend::concat_columns<T>(
        {&parts[0], &parts[1], &parts[2], &parts[3], &parts[4], &parts[5]});
    return norm_.forward(mlp_.forward(x));
  }

  void backward(const Tensor<T>& dy) {
    auto parts = adaptrec::backend::split_columns(mlp_.backward(norm_.backward(dy)), widths_);
    id_.backward(parts[0]);
    gender_.backward(parts[1]);
    age_.backward(parts[2]);
    occupation_.backward(parts[3]);
    history_.backward(parts[4]);
    recent_.backward(parts[5]);
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    using adaptrec::join_name;
    id_.visit_parameters(f, join_name(prefix, "user_id"));
    gender_.visit_parameters(f, join_name(prefix, "gender"));
    age_.visit_parameters(f, join_name(prefix, "age"));
    occupation_.visit_parameters(f, join_name(prefix, "occupation"));
    history_.visit_parameters(f, join_name(prefix, "history"));
    recent_.visit_parameters(f, join_name(prefix, "recent_history"));
    mlp_.visit_parameters(f, join_name(prefix, "mlp"));
  }

  void train(bool on = true) {
    training_ = on;
    mlp_.train(on);
  }

 private:
  adaptrec::layers::Embedding<T> id_, gender_, age_, occupation_;
  adaptrec::layers::EmbeddingBag<T> history_, recent_;
  adaptrec::layers::MLP<T> mlp_;
  adaptrec::layers::L2Normalize<T> norm_;
  std::vector<index_t> widths_;
};

template <class T = float>
class ItemTower : public adaptrec::TrainingMode {
 public:
  using scalar_type = T;
  ItemTower(const TwoTowerConfig& c, adaptrec::Rng& rng)
      : id_(c.num_items, c.id_dim, rng),
        year_(year_buckets, c.attribute_dim, rng),
        genres_(c.num_genres, c.genre_dim, rng),
        mlp_({c.id_dim + c.attribute_dim + c.genre_dim, c.hidden, c.output}, rng),
        widths_{c.id_dim, c.attribute_dim, c.genre_dim} {}

  Tensor<T> forward(const ItemFeatures& f) {
    const Tensor<T> parts[] = {id_.forward(f.item), year_.forward(f.year),
                               genres_.forward(f.genres)};
    Tensor<T> x = adaptrec::backend::concat_columns<T>({&parts[0], &parts[1], &parts[2]});
    return norm_.forward(mlp_.forward(x));
  }

  void backward(const Tensor<T>& dy) {
    auto parts = adaptrec::backend::split_columns(mlp_.backward(norm_.backward(dy)), widths_);
    id_.backward(parts[0]);
    year_.backward(parts[1]);
    genres_.backward(parts[2]);
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    using adaptrec::join_name;
    id_.visit_parameters(f, join_name(prefix, "item_id"));
    year_.visit_parameters(f, join_name(prefix, "year"));
    genres_.visit_parameters(f, join_name(prefix, "genres"));
    mlp_.visit_parameters(f, join_name(prefix, "mlp"));
  }

  void train(bool on = true) {
    training_ = on;
    mlp_.train(on);
  }

 private:
  adaptrec::layers::Embedding<T> id_, year_;
  adaptrec::layers::EmbeddingBag<T> genres_;
  adaptrec::layers::MLP<T> mlp_;
  adaptrec::layers::L2Normalize<T> norm_;
  std::vector<index_t> widths_;
};

template <class T = float>
class TwoTowerModel : public adaptrec::TrainingMode {
 public:
  using scalar_type = T;
  TwoTowerModel(const TwoTowerConfig& c, adaptrec::Rng& rng) : users(c, rng), items(c, rng) {}

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    users.visit_parameters(f, adaptrec::join_name(prefix, "user_tower"));
    items.visit_parameters(f, adaptrec::join_name(prefix, "item_tower"));
  }
  void train(bool on = true) {
    training_ = on;
    users.train(on);
    items.train(on);
  }

  UserTower<T> users;
  ItemTower<T> items;
};

// Builds tower inputs from the MovieLens tables.
class TwoTowerInputs {
 public:
  TwoTowerInputs(const adaptrec::data::MovieLens& data, int recent_items)
      : data_(data), recent_items_(recent_items) {}

  // histories[i] is the chronological list of items user users[i] saw before.
  UserFeatures users(std::span<const std::int32_t> users,
                     std::span<const std::span<const std::int32_t>> histories) const {
    const index_t n = static_cast<index_t>(users.size());
    UserFeatures f{Tensor<index_t>(adaptrec::Shape{n}), Tensor<index_t>(adaptrec::Shape{n}), Tensor<index_t>(adaptrec::Shape{n}),
                   Tensor<index_t>(adaptrec::Shape{n}), {}, {}};
    std::vector<std::vector<index_t>> all(users.size()), recent(users.size());
    for (index_t i = 0; i < n; ++i) {
      const auto& u = data_.users[static_cast<std::size_t>(users[i])];
      f.user[i] = users[i];
      f.gender[i] = gender_id(u.gender);
      f.age[i] = age_bucket(u.age);
      f.occupation[i] = u.occupation;
      const auto h = histories[static_cast<std::size_t>(i)];
      all[i].assign(h.begin(), h.end());
      const std::size_t start = h.size() > static_cast<std::size_t>(recent_items_)
                                    ? h.size() - static_cast<std::size_t>(recent_items_)
                                    : 0;
      recent[i].assign(h.begin() + static_cast<std::ptrdiff_t>(start), h.end());
    }
    f.history = adaptrec::layers::make_bags(all);
    f.recent = adaptrec::layers::make_bags(recent);
    return f;
  }

  ItemFeatures items(std::span<const std::int32_t> items) const {
    const index_t n = static_cast<index_t>(items.size());
    ItemFeatures f{Tensor<index_t>(adaptrec::Shape{n}), Tensor<index_t>(adaptrec::Shape{n}), {}};
    std::vector<std::vector<index_t>> genres(items.size());
    for (index_t i = 0; i < n; ++i) {
      const auto& m = data_.movies[static_cast<std::size_t>(items[i])];
      f.item[i] = items[i];
      f.year[i] = year_bucket(m.year);
      genres[i].assign(m.genres.begin(), m.genres.end());
    }
    f.genres = adaptrec::layers::make_bags(genres);
    return f;
  }

 private:
  const adaptrec::data::MovieLens& data_;
  int recent_items_;
};

}  // namespace examples
