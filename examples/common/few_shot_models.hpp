#pragma once
// The two models of examples/few_shot.cpp, each one static pipeline type
// recommender::Recommender<UserTower, ItemTower, Head, Loss> trained with
// in-batch InfoNCE (losses/info_nce.hpp) with the logQ correction and scored
// by dot products:
//
//  peft_text: item tower = all-MiniLM-L6-v2 (frozen) with one LoRA set on its
//    top layer (peft::ScenarioTextEncoder, one scenario), mean-pooled and unit
//    length; user tower = the mean text vector of the user's items in the
//    OTHER scenarios (their source-domain history), a frozen table read by
//    encoders::MultimodalProjector; one Linear head per side. Both towers end
//    in the same text space; the towers' projections (frozen) and the heads
//    (trained, with the LoRA set) start as the identity, and the LoRA update
//    at zero (Hu et al., ICLR 2022, sec. 4.1), so before any training the
//    score is the cosine between the user's history and the candidate: a
//    content-based recommender that the few target interactions adapt
//    rather than build.
//  id_scratch: user and item ID embeddings (the scenario's items only), one
//    random Linear head per side, everything learned from the target
//    interactions alone.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/error.hpp>
#include <adaptrec/data/movielens_dataset.hpp>
#include <adaptrec/encoders/item_text_encoder.hpp>
#include <adaptrec/encoders/multimodal_projector.hpp>
#include <adaptrec/fusion/sum_fusion.hpp>
#include <adaptrec/heads/mlp_head.hpp>
#include <adaptrec/layers/embedding.hpp>
#include <adaptrec/losses/info_nce.hpp>
#include <adaptrec/peft/lora.hpp>
#include <adaptrec/peft/scenario_text_encoder.hpp>
#include <adaptrec/recommender/recommender.hpp>
#include <adaptrec/recommender/tower.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace examples {

using adaptrec::index_t;
using adaptrec::Tensor;

using UserHistoryTower = adaptrec::recommender::Tower<adaptrec::fusion::SumFusion<float>,
                                                      adaptrec::encoders::MultimodalProjector<float>>;
using LoraTextTower = adaptrec::recommender::Tower<
    adaptrec::fusion::SumFusion<float>,
    adaptrec::peft::ScenarioTextEncoder<adaptrec::peft::Lora<float>>>;
using IdTower = adaptrec::recommender::Tower<adaptrec::fusion::SumFusion<float>,
                                             adaptrec::layers::Embedding<float>>;

// In-batch InfoNCE with the logQ correction of Yi et al. (RecSys 2019, eq. 3):
// every logit minus the log of its item's sampling probability. Without it, a
// popular item is a negative in many batches and is pushed down for everyone,
// which a catalogue of a few hundred items ranked in full punishes hard.
// log_q[i] is the log frequency of model item i in the training sample.
class LogQCorrectedInfoNce {
 public:
  using scalar_type = float;

  LogQCorrectedInfoNce(float temperature, std::vector<float> log_q)
      : loss_(temperature), log_q_(std::move(log_q)) {}

  float forward(const Tensor<float>& queries, const Tensor<float>& keys,
                const Tensor<index_t>& key_ids) {
    Tensor<float> key_log_q(adaptrec::Shape{key_ids.size()});
    for (index_t i = 0; i < key_ids.size(); ++i) {
      if (key_ids[i] < 0 || key_ids[i] >= static_cast<index_t>(log_q_.size()))
        throw adaptrec::index_error("examples::LogQCorrectedInfoNce: item " +
                                    std::to_string(key_ids[i]) + " at position " +
                                    std::to_string(i) + " has no sampling probability (" +
                                    std::to_string(log_q_.size()) + " items)");
      key_log_q[i] = log_q_[static_cast<std::size_t>(key_ids[i])];
    }
    return loss_.forward(queries, keys, key_log_q, key_ids);
  }
  adaptrec::losses::PairGrad<float> backward() const { return loss_.backward(); }

 private:
  adaptrec::losses::InfoNce<float> loss_;
  std::vector<float> log_q_;
};

// log(count_i / n) of each model item id in `items`; 0 for an item never
// drawn, which never appears in a batch.
inline std::vector<float> log_sampling_probability(const std::vector<index_t>& items,
                                                   index_t num_items) {
  std::vector<float> counts(static_cast<std::size_t>(num_items), 0.0f);
  for (index_t item : items) {
    if (item < 0 || item >= num_items)
      throw adaptrec::index_error("examples::log_sampling_probability: item " +
                                  std::to_string(item) + " is outside [0, " +
                                  std::to_string(num_items) + ")");
    counts[static_cast<std::size_t>(item)] += 1.0f;
  }
  for (float& c : counts)
    c = c > 0 ? std::log(c / static_cast<float>(items.size())) : 0.0f;
  return counts;
}

using PeftTextRecommender =
    adaptrec::recommender::Recommender<UserHistoryTower, LoraTextTower,
                                       adaptrec::heads::MlpHead<float>, LogQCorrectedInfoNce>;
using IdScratchRecommender =
    adaptrec::recommender::Recommender<IdTower, IdTower, adaptrec::heads::MlpHead<float>,
                                       LogQCorrectedInfoNce>;

// W = I, b = 0 on a square layer.
inline void set_identity(adaptrec::layers::Linear<float>& linear) {
  if (linear.in_features() != linear.out_features())
    throw adaptrec::invalid_argument("examples::set_identity: the layer maps " +
                                     std::to_string(linear.in_features()) + " to " +
                                     std::to_string(linear.out_features()) +
                                     " features; only a square layer can be the identity");
  linear.weight().value.fill(0.0f);
  for (index_t i = 0; i < linear.in_features(); ++i) linear.weight().value(i, i) = 1.0f;
  if (linear.has_bias()) linear.bias().value.fill(0.0f);
}

struct SourceProfiles {
  Tensor<float> vectors;  // [num_users, text_dim]; a zero row for a user without history
  std::size_t ratings = 0;
  std::size_t users_without_history = 0;
};

// Each user's mean item text vector over all their ratings of items outside
// scenario `target` (items in no scenario included): the source domains, used
// in full, as cross-domain recommendation does. The target scenario's ratings
// are never read, so its held-out items cannot leak into the profile.
inline SourceProfiles source_history_profiles(const std::vector<adaptrec::data::Rating>& ratings,
                                              const std::vector<int>& item_scenario, int target,
                                              const Tensor<float>& item_text_vectors,
                                              index_t num_users) {
  const std::string where = "examples::source_history_profiles: ";
  if (item_text_vectors.rank() != 2 ||
      item_text_vectors.rows() != static_cast<index_t>(item_scenario.size()))
    throw adaptrec::shape_error(where + "item text vectors " +
                                item_text_vectors.shape().to_string() + " must have one row per " +
                                "item (" + std::to_string(item_scenario.size()) + ")");
  const index_t dim = item_text_vectors.cols();
  SourceProfiles profiles{Tensor<float>(adaptrec::Shape{num_users, dim})};
  std::vector<std::size_t> counts(static_cast<std::size_t>(num_users), 0);
  for (const adaptrec::data::Rating& r : ratings) {
    if (r.user < 0 || r.user >= num_users || r.item < 0 || r.item >= item_text_vectors.rows())
      throw adaptrec::index_error(where + "rating of user " + std::to_string(r.user) +
                                  " on item " + std::to_string(r.item) + " is outside " +
                                  std::to_string(num_users) + " users and " +
                                  std::to_string(item_text_vectors.rows()) + " items");
    if (item_scenario[static_cast<std::size_t>(r.item)] == target) continue;
    const float* item = item_text_vectors.data() + r.item * dim;
    float* user = profiles.vectors.data() + r.user * dim;
    for (index_t k = 0; k < dim; ++k) user[k] += item[k];
    ++counts[static_cast<std::size_t>(r.user)];
    ++profiles.ratings;
  }
  for (index_t u = 0; u < num_users; ++u) {
    const std::size_t count = counts[static_cast<std::size_t>(u)];
    if (count == 0) {
      ++profiles.users_without_history;
      continue;
    }
    float* user = profiles.vectors.data() + u * dim;
    for (index_t k = 0; k < dim; ++k) user[k] /= static_cast<float>(count);
  }
  return profiles;
}

inline adaptrec::heads::MlpHead<float> linear_head(index_t dim, adaptrec::Rng& rng) {
  return adaptrec::heads::MlpHead<float>({.input_dim = dim, .output_dim = dim, .num_scenarios = 1},
                                         rng);
}

// `text` must have output_dim == text_dim(), an identity projection (frozen
// here, so that the heads are the only maps trained on top of it) and
// fine_tune_top_layers covering lora.layers.
inline PeftTextRecommender make_peft_text(const Tensor<float>& user_profiles,
                                          adaptrec::encoders::ItemTextEncoder<float> text,
                                          const adaptrec::peft::LoraOptions& lora,
                                          LogQCorrectedInfoNce loss, adaptrec::Rng& rng) {
  const index_t dim = text.text_dim();
  if (text.output_dim() != dim)
    throw adaptrec::invalid_argument("examples::make_peft_text: the text encoder's output_dim " +
                                     std::to_string(text.output_dim()) +
                                     " must equal its text width " + std::to_string(dim));
  adaptrec::set_trainable(text.projection(), false);
  adaptrec::encoders::MultimodalProjector<float> history(
      user_profiles, {.output_dim = dim, .normalize_inputs = true}, rng, "user history profiles");
  set_identity(history.projection());
  adaptrec::set_trainable(history.projection(), false);
  adaptrec::peft::ScenarioTextEncoder<adaptrec::peft::Lora<float>> items(std::move(text), 1, lora,
                                                                         rng);
  auto user_head = linear_head(dim, rng);
  auto item_head = linear_head(dim, rng);
  set_identity(user_head.mlp().linear(0));
  set_identity(item_head.mlp().linear(0));
  return PeftTextRecommender(UserHistoryTower(adaptrec::fusion::SumFusion<float>({dim}),
                                              std::move(history)),
                             LoraTextTower(adaptrec::fusion::SumFusion<float>({dim}),
                                           std::move(items)),
                             std::move(user_head), std::move(item_head), std::move(loss));
}

inline IdScratchRecommender make_id_scratch(index_t num_users, index_t num_items, index_t dim,
                                            LogQCorrectedInfoNce loss, adaptrec::Rng& rng) {
  IdTower users(adaptrec::fusion::SumFusion<float>({dim}),
                adaptrec::layers::Embedding<float>(num_users, dim, rng));
  IdTower items(adaptrec::fusion::SumFusion<float>({dim}),
                adaptrec::layers::Embedding<float>(num_items, dim, rng));
  auto user_head = linear_head(dim, rng);
  auto item_head = linear_head(dim, rng);
  return IdScratchRecommender(std::move(users), std::move(items), std::move(user_head),
                              std::move(item_head), std::move(loss));
}

}  // namespace examples
