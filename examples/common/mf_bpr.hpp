#pragma once
// Matrix factorisation trained with BPR (Rendle et al., UAI 2009): the
// classic baseline for implicit-feedback top-K recommendation.
#include "loo_evaluation.hpp"

#include <adaptrec/backend/ops.hpp>
#include <adaptrec/data.hpp>
#include <adaptrec/layers/embedding.hpp>
#include <adaptrec/losses/bpr.hpp>
#include <adaptrec/optim/adam.hpp>
#include <adaptrec/train/trainer.hpp>

#include <algorithm>
#include <span>
#include <vector>

namespace examples {

template <class T = float>
class MatrixFactorization : public adaptrec::TrainingMode {
 public:
  using scalar_type = T;
  MatrixFactorization(adaptrec::index_t users, adaptrec::index_t items, adaptrec::index_t dim,
                      adaptrec::Rng& rng)
      : users_(users, dim, rng), items_(items, dim, rng) {}

  // Scores of (user, positive) and (user, negative) pairs.
  std::pair<adaptrec::Tensor<T>, adaptrec::Tensor<T>> forward(
      const adaptrec::Tensor<adaptrec::index_t>& users,
      const adaptrec::Tensor<adaptrec::index_t>& positives_then_negatives) {
    u_ = users_.forward(users);
    v_ = items_.forward(positives_then_negatives);
    const adaptrec::index_t n = u_.rows(), d = u_.cols();
    adaptrec::Tensor<T> pos(adaptrec::Shape{n}), neg(adaptrec::Shape{n});
    for (adaptrec::index_t b = 0; b < n; ++b)
      for (adaptrec::index_t k = 0; k < d; ++k) {
        pos[b] += u_(b, k) * v_(b, k);
        neg[b] += u_(b, k) * v_(n + b, k);
      }
    return {std::move(pos), std::move(neg)};
  }

  void backward(const adaptrec::Tensor<T>& d_pos, const adaptrec::Tensor<T>& d_neg) {
    const adaptrec::index_t n = u_.rows(), d = u_.cols();
    adaptrec::Tensor<T> du(u_.shape()), dv(v_.shape());
    for (adaptrec::index_t b = 0; b < n; ++b)
      for (adaptrec::index_t k = 0; k < d; ++k) {
        du(b, k) = d_pos[b] * v_(b, k) + d_neg[b] * v_(n + b, k);
        dv(b, k) = d_pos[b] * u_(b, k);
        dv(n + b, k) = d_neg[b] * u_(b, k);
      }
    users_.backward(du);
    items_.backward(dv);
  }

  // All items' factors, for full ranking.
  const adaptrec::Tensor<T>& item_factors() { return items_.weight().value; }
  const adaptrec::Tensor<T>& user_factors() { return users_.weight().value; }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    users_.visit_parameters(f, adaptrec::join_name(prefix, "user_factors"));
    items_.visit_parameters(f, adaptrec::join_name(prefix, "item_factors"));
  }

 private:
  adaptrec::layers::Embedding<T> users_, items_;
  adaptrec::Tensor<T> u_, v_;
};

struct BprOptions {
  int epochs = 30;
  std::uint64_t seed = 42;
  bool verbose = false;
  adaptrec::index_t dim = 64;
  std::size_t batch_size = 1024;
  float learning_rate = 0.005f;
  float weight_decay = 1e-5f;
};

inline std::pair<adaptrec::train::Metrics, adaptrec::train::FitResult> train_bpr_mf(
    const adaptrec::data::MovieLens& ml, const adaptrec::data::LeaveOneOutSplit& split,
    const LooProtocol& validation, const LooProtocol& test, const BprOptions& o) {
  using namespace adaptrec;
  Rng rng(o.seed);
  MatrixFactorization<float> model(ml.num_users(), ml.num_items(), o.dim, rng);
  optim::Adam<float> optimizer(collect_parameters(model),
                               {.learning_rate = o.learning_rate, .weight_decay = o.weight_decay});
  losses::Bpr<float> loss;
  data::UniformNegativeSampler sampler(ml.num_items(), o.seed + 1);

  auto seen = data::items_by_user(split.train, ml.num_users());
  for (auto& items : seen) std::sort(items.begin(), items.end());

  auto score = [&](std::span<const std::int32_t> users, auto) {
    Tensor<float> u(Shape{static_cast<index_t>(users.size()), o.dim});
    for (index_t i = 0; i < u.rows(); ++i)
      std::copy_n(model.user_factors().data() + users[static_cast<std::size_t>(i)] * o.dim, o.dim,
                  u.data() + i * o.dim);
    Tensor<float> scores(Shape{u.rows(), ml.num_items()});
    backend::gemm(u, backend::Trans::no, model.item_factors(), backend::Trans::yes, scores);
    return scores;
  };

  auto train_epoch = [&](int epoch, train::Progress& progress) {
    for (auto batch : data::shuffled_batches(split.train.size(), o.batch_size,
                                             o.seed + static_cast<std::uint64_t>(epoch))) {
      const auto n = static_cast<index_t>(ranges::distance(batch));
      Tensor<index_t> users(Shape{n}), items(Shape{2 * n});
      index_t b = 0;
      for (std::size_t index : batch) {
        const auto& r = split.train[index];
        users[b] = r.user;
        items[b] = r.item;
        items[n + b] = sampler.sample_excluding(seen[static_cast<std::size_t>(r.user)]);
        ++b;
      }
      auto [pos, neg] = model.forward(users, items);
      const float value = loss.forward(pos, neg);
      auto grads = loss.backward();
      model.backward(grads.first, grads.second);
      optimizer.step();
      optimizer.zero_grad();
      progress.update(static_cast<std::size_t>(n), value);
    }
  };

  train::TrainerOptions options;
  options.max_epochs = o.epochs;
  options.patience = 3;
  options.verbose = o.verbose;
  options.label = "bpr_mf";
  auto fit = train::fit(model, train_epoch, [&] { return evaluate_loo(validation, score); },
                        options);
  return {evaluate_loo(test, score), fit};
}

}  // namespace examples
