#pragma once
// A scenario-aware two-tower recommender assembled as one static type:
//
//   using Model = Recommender<UserSide, ItemSide, heads::Star<float>, losses::InfoNce<float>>;
//
// Each tower (recommender/tower.hpp, or any Encoder of ids) maps ids to
// vectors; a scenario-aware head of type Head (heads/: STAR, MMoE, PLE,
// shared-bottom, or the scenario-blind MlpHead) adapts each side's vector to
// the example's scenario; the score is their dot product, trained with a
// retrieval loss over the batch. Changing one type parameter swaps a
// component; a type that does not fit stops compilation with a message
// naming what it lacks (see the static_asserts below).
#include <adaptrec/encoders/concept.hpp>
#include <adaptrec/heads/concept.hpp>
#include <adaptrec/losses/concept.hpp>
#include <adaptrec/recommender/tower.hpp>

#include <concepts>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace adaptrec::recommender {

template <class UserTower, class ItemTower, class Head, class Loss>
class Recommender {
  static_assert(encoders::check_encoder<UserTower>(),
                "adaptrec::recommender::Recommender: the user tower must map user ids to vectors");
  static_assert(encoders::check_encoder<ItemTower>(),
                "adaptrec::recommender::Recommender: the item tower must map item ids to vectors");
  static_assert(heads::check_head<Head>());
  static_assert(losses::check_retrieval_loss<Loss>());

 public:
  using scalar_type = typename Head::scalar_type;
  static_assert(std::same_as<typename UserTower::scalar_type, scalar_type> &&
                    std::same_as<typename ItemTower::scalar_type, scalar_type> &&
                    std::same_as<typename Loss::scalar_type, scalar_type>,
                "adaptrec::recommender::Recommender: towers, heads and loss must share one "
                "scalar_type");
  using T = scalar_type;

  Recommender(UserTower user_tower, ItemTower item_tower, Head user_head, Head item_head, Loss loss)
      : user_tower_(std::move(user_tower)),
        item_tower_(std::move(item_tower)),
        user_head_(std::move(user_head)),
        item_head_(std::move(item_head)),
        loss_(std::move(loss)) {
    check_widths("user", user_tower_.output_dim(), user_head_);
    check_widths("item", item_tower_.output_dim(), item_head_);
    if (user_head_.output_dim() != item_head_.output_dim())
      throw invalid_argument("adaptrec::recommender::Recommender: the user head gives width " +
                             std::to_string(user_head_.output_dim()) + ", the item head " +
                             std::to_string(item_head_.output_dim()) +
                             "; their dot product needs equal widths");
    if (user_head_.num_scenarios() != item_head_.num_scenarios())
      throw invalid_argument(
          "adaptrec::recommender::Recommender: the heads serve different numbers of scenarios");
  }

  UserTower& user_tower() { return user_tower_; }
  ItemTower& item_tower() { return item_tower_; }
  Head& user_head() { return user_head_; }
  Head& item_head() { return item_head_; }
  index_t num_scenarios() const { return user_head_.num_scenarios(); }

  // Towers whose encoders keep per-scenario state (ScenarioTextEncoder) switch
  // it; batches then hold one scenario, as train_step checks.
  void select_scenario(std::size_t s) {
    if constexpr (detail::scenario_switching<UserTower>) user_tower_.select_scenario(s);
    if constexpr (detail::scenario_switching<ItemTower>) item_tower_.select_scenario(s);
  }

  // One step on (user, positive item) pairs of scenario ids `scenario`: the
  // other pairs' items are each user's negatives. Accumulates every trainable
  // parameter's gradient and returns the loss; the caller steps the optimizer.
  T train_step(const Tensor<index_t>& users, const Tensor<index_t>& items,
               std::span<const index_t> scenario) {
    if (users.rank() != 1 || !(users.shape() == items.shape()) ||
        static_cast<index_t>(scenario.size()) != users.size())
      throw shape_error("adaptrec::recommender::Recommender::train_step: users " +
                        users.shape().to_string() + ", items " + items.shape().to_string() +
                        " and " + std::to_string(scenario.size()) +
                        " scenario ids must all be one [batch]");
    if constexpr (detail::scenario_switching<UserTower> || detail::scenario_switching<ItemTower>)
      select_single_scenario(scenario);
    const Tensor<T> u = user_head_.forward(user_tower_.forward(users), scenario);
    const Tensor<T> v = item_head_.forward(item_tower_.forward(items), scenario);
    const T loss = loss_.forward(u, v, items);
    const auto grad = loss_.backward();
    user_tower_.backward(user_head_.backward(grad.first));
    item_tower_.backward(item_head_.backward(grad.second));
    return loss;
  }

  // Serving and evaluation (eval mode, nothing kept for backward).
  Tensor<T> user_vectors(const Tensor<index_t>& users, std::span<const index_t> scenario) {
    return user_head_.forward(user_tower_.forward(users), scenario);
  }
  Tensor<T> item_vectors(const Tensor<index_t>& items, std::span<const index_t> scenario) {
    return item_head_.forward(item_tower_.forward(items), scenario);
  }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    user_tower_.visit_parameters(f, join_name(prefix, "user_tower"));
    item_tower_.visit_parameters(f, join_name(prefix, "item_tower"));
    user_head_.visit_parameters(f, join_name(prefix, "user_head"));
    item_head_.visit_parameters(f, join_name(prefix, "item_head"));
  }
  void train(bool on = true) {
    training_ = on;
    user_tower_.train(on);
    item_tower_.train(on);
    user_head_.train(on);
    item_head_.train(on);
  }
  void eval() { train(false); }
  bool is_training() const { return training_; }

 private:
  static void check_widths(const char* side, index_t tower_width, const Head& head) {
    if (tower_width != head.input_dim())
      throw invalid_argument(std::string("adaptrec::recommender::Recommender: the ") + side +
                             " tower gives width " + std::to_string(tower_width) +
                             ", its head takes " + std::to_string(head.input_dim()));
  }

  void select_single_scenario(std::span<const index_t> scenario) {
    if (scenario.empty()) return;
    for (index_t s : scenario)
      if (s != scenario[0])
        throw invalid_argument(
            "adaptrec::recommender::Recommender::train_step: a tower keeps per-scenario state, "
            "so a batch must hold one scenario; this one mixes " +
            std::to_string(scenario[0]) + " and " + std::to_string(s));
    select_scenario(static_cast<std::size_t>(scenario[0]));
  }

  UserTower user_tower_;
  ItemTower item_tower_;
  Head user_head_;
  Head item_head_;
  Loss loss_;
  bool training_ = true;
};

}  // namespace adaptrec::recommender
