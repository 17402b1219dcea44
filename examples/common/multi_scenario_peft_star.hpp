#pragma once
// The parameter-efficient multi-scenario model of examples/multi_scenario.cpp.
//
// Item tower: the item's text ("title (year) | genres") through a frozen
// pretrained encoder whose top layers carry one LoRA set per scenario (Hu et
// al., ICLR 2022; peft/scenario_adapters.hpp), mean-pooled and unit-length,
// projected to `dim` and summed with an item-ID embedding, then a STAR
// network (Sheng et al., CIKM 2021, sec. 4.3) with shared and per-scenario
// weights. User tower: a user-ID embedding shared by all scenarios, plus
// (with user_histories) the mean item-ID embedding and a projection of the
// mean pooled text of the user's training items in every scenario, through
// its own STAR network, so a user's preferences transfer between scenarios
// while each scenario keeps its own view of them.
//
// The text encoder's own projection is the identity and frozen: the trainable
// projection sits here, after the pooled vector, so that while the LoRA sets
// are still zero (the first training phase) the pooled vectors can be
// computed once for every item and the encoder skipped altogether.
#include <adaptrec/encoders/item_text_encoder.hpp>
#include <adaptrec/heads/star.hpp>
#include <adaptrec/layers/linear.hpp>
#include <adaptrec/peft/lora.hpp>
#include <adaptrec/peft/scenario_adapters.hpp>
#include <adaptrec/train/snapshot.hpp>
#include <optional>
#include <string>
#include <vector>

#include "multi_scenario_training.hpp"

namespace examples {

// A copy of `pretrained` with every dropout probability at zero. The LoRA
// phase must see the pooled text vectors the first phase cached in eval mode,
// but ItemTextEncoder keeps what backward needs only in training mode, where
// the encoder's own dropout (0.1 in all-MiniLM-L6-v2) would perturb them.
template <class T>
adaptrec::encoders::Bert<T> without_dropout(adaptrec::encoders::Bert<T> pretrained) {
  adaptrec::encoders::BertConfig config = pretrained.config();
  config.hidden_dropout_prob = 0;
  config.attention_probs_dropout_prob = 0;
  adaptrec::Rng unused(0);  // every weight is copied below
  adaptrec::encoders::Bert<T> copy(config, unused, pretrained.has_pooler(), 0,
                                   adaptrec::encoders::WeightInit::deferred);
  adaptrec::train::ParameterSnapshot<T>::take(pretrained).restore(copy);
  return copy;
}

struct PeftStarOptions {
  index_t dim = 64;
  index_t num_users = 0;
  index_t num_scenarios = 0;
  adaptrec::peft::LoraOptions lora;  // its layers must be among the encoder's tuned top layers
  std::vector<index_t> star_hidden;  // empty: one star layer per tower
  // When given (global item ids), a user's vector also adds the mean of the
  // item-ID embeddings of the user's training items, in every scenario (as
  // the ID models' histories do), and a projection of their mean pooled text.
  UserHistories user_histories;
};

template <class T = float>
class PeftStar : public adaptrec::TrainingMode {
 public:
  using scalar_type = T;

  // `text` must have been built with output_dim = its text_dim() and
  // fine_tune_top_layers covering options.lora.layers.
  PeftStar(adaptrec::encoders::ItemTextEncoder<T> text, const PeftStarOptions& o,
           adaptrec::Rng& rng)
      : text_(std::move(text)),
        projection_(text_.text_dim(), o.dim, rng),
        item_id_(text_.num_items(), o.dim, rng),
        user_id_(o.num_users, o.dim, rng),
        item_star_(star_options(o), rng),
        user_star_(star_options(o), rng) {
    const std::string where = "examples::PeftStar: ";
    if (text_.output_dim() != text_.text_dim())
      throw adaptrec::invalid_argument(
          where + "the text encoder's output_dim " + std::to_string(text_.output_dim()) +
          " must equal its text width " + std::to_string(text_.text_dim()));
    const auto first_tuned = text_.encoder().num_layers() -
                             static_cast<std::size_t>(text_.options().fine_tune_top_layers);
    for (std::size_t layer : o.lora.layers)
      if (layer < first_tuned)
        throw adaptrec::invalid_argument(where + "LoRA on layer " + std::to_string(layer) +
                                         " would have no effect: layers below " +
                                         std::to_string(first_tuned) +
                                         " are cached by the text encoder");
    auto& identity = text_.projection();
    identity.weight().value.fill(T(0));
    for (index_t i = 0; i < text_.text_dim(); ++i) identity.weight().value(i, i) = T(1);
    identity.bias().value.fill(T(0));
    adaptrec::set_trainable(identity, false);
    adaptrec::set_trainable(text_.encoder(), false);
    adapters_.emplace(text_.encoder(), static_cast<std::size_t>(o.num_scenarios), o.lora, rng);
    adaptrec::set_trainable(*adapters_, false);
    text_.eval();
    pooled_text_ = text_.forward(iota_ids(text_.num_items()));
    if (!o.user_histories.items.empty()) {
      histories_ = o.user_histories;
      user_text_ = Tensor<T>(adaptrec::Shape{o.num_users, text_.text_dim()});
      o.user_histories.add_means(iota_ids(o.num_users), pooled_text_, user_text_);
      user_text_projection_.emplace(text_.text_dim(), o.dim, rng);
    }
  }

  // false: the pooled text vectors are read from the cache (LoRA sets unused
  // and frozen); true: the tuned layers run with scenario s's LoRA set.
  void tune_text(bool on) {
    tune_text_ = on;
    if (!on) {
      adapters_->detach(text_.encoder());
      adaptrec::set_trainable(*adapters_, false);
    }
  }
  bool tunes_text() const { return tune_text_; }

  // Global item ids, all in scenario s -> [n, dim].
  Tensor<T> items_forward(const Tensor<index_t>& items, index_t s) {
    Tensor<T> text;
    if (tune_text_) {
      adapters_->select(text_.encoder(), static_cast<std::size_t>(s));
      text = text_.forward(items);
    } else {
      text = Tensor<T>(adaptrec::Shape{items.size(), text_.text_dim()});
      adaptrec::backend::gather_rows(pooled_text_, items, text);
    }
    Tensor<T> x = projection_.forward(text);
    adaptrec::backend::axpy(T(1), item_id_.forward(items), x);
    item_scenarios_.assign(static_cast<std::size_t>(items.size()), s);
    return item_star_.forward(x, item_scenarios_);
  }

  void items_backward(const Tensor<T>& dv) {
    const Tensor<T> dx = item_star_.backward(dv);
    item_id_.backward(dx);
    const Tensor<T> d_text = projection_.backward(dx);
    if (tune_text_) text_.backward(d_text);
  }

  Tensor<T> users_forward(const Tensor<index_t>& users, index_t s) {
    Tensor<T> x = user_id_.forward(users);
    if (!histories_.items.empty()) histories_.add_means(users, item_id_.weight().value, x);
    if (user_text_projection_) {
      Tensor<T> text(adaptrec::Shape{users.size(), text_.text_dim()});
      adaptrec::backend::gather_rows(user_text_, users, text);
      adaptrec::backend::axpy(T(1), user_text_projection_->forward(text), x);
    }
    users_ = users;
    user_scenarios_.assign(static_cast<std::size_t>(users.size()), s);
    return user_star_.forward(x, user_scenarios_);
  }

  void users_backward(const Tensor<T>& du) {
    const Tensor<T> dx = user_star_.backward(du);
    user_id_.backward(dx);
    adaptrec::Parameter<T>& item_table = item_id_.weight();
    if (!histories_.items.empty() && item_table.trainable) {
      histories_.add_mean_gradients(users_, dx, item_table.grad);
      for (index_t i = 0; i < users_.size(); ++i) {
        const auto& rated = histories_.items[static_cast<std::size_t>(users_[i])];
        item_table.mark_touched_rows(rated.data(), static_cast<index_t>(rated.size()));
      }
    }
    if (user_text_projection_) user_text_projection_->backward(dx);
  }

  // The pretrained encoder, without any LoRA set attached.
  adaptrec::encoders::Bert<T>& detached_encoder() {
    adapters_->detach(text_.encoder());
    return text_.encoder();
  }
  // The encoder's own (identity, frozen) projection.
  adaptrec::layers::Linear<T>& text_projection() { return text_.projection(); }

  void train(bool on = true) {
    training_ = on;
    text_.train(on);
    projection_.train(on);
    item_star_.train(on);
    user_star_.train(on);
    if (user_text_projection_) user_text_projection_->train(on);
    adapters_->train(on);
  }

  // What trains: the LoRA sets, projection, ID embeddings and STAR layers;
  // the encoder itself is left out (see detached_encoder).
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    using adaptrec::join_name;
    adapters_->visit_parameters(f, join_name(prefix, "lora"));
    projection_.visit_parameters(f, join_name(prefix, "text_projection"));
    item_id_.visit_parameters(f, join_name(prefix, "item_id"));
    item_star_.visit_parameters(f, join_name(prefix, "item_star"));
    user_id_.visit_parameters(f, join_name(prefix, "user_id"));
    if (user_text_projection_)
      user_text_projection_->visit_parameters(f, join_name(prefix, "user_text_projection"));
    user_star_.visit_parameters(f, join_name(prefix, "user_star"));
  }

 private:
  static adaptrec::heads::StarOptions star_options(const PeftStarOptions& o) {
    adaptrec::heads::StarOptions s;
    s.input_dim = o.dim;
    s.output_dim = o.dim;
    s.num_scenarios = o.num_scenarios;
    s.hidden_widths = o.star_hidden;
    return s;
  }

  adaptrec::encoders::ItemTextEncoder<T> text_;
  std::optional<adaptrec::peft::ScenarioAdapters<adaptrec::peft::Lora<T>>> adapters_;
  adaptrec::layers::Linear<T> projection_;
  adaptrec::layers::Embedding<T> item_id_, user_id_;
  adaptrec::heads::Star<T> item_star_, user_star_;
  std::optional<adaptrec::layers::Linear<T>> user_text_projection_;
  Tensor<T> pooled_text_;  // [num_items, text_dim], the encoder without LoRA
  Tensor<T> user_text_;    // [num_users, text_dim], mean pooled text of each user's history
  UserHistories histories_;  // empty: no item-ID history term
  Tensor<index_t> users_;    // the last users_forward's users, for users_backward
  bool tune_text_ = false;
  std::vector<index_t> item_scenarios_, user_scenarios_;
};

}  // namespace examples
