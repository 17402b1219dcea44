#pragma once
// Training and evaluating TransE on a knowledge graph, as Bordes et al.
// (NeurIPS 2013) do: Algorithm 1 draws minibatches of true triples, pairs each
// with corrupted ones (head or tail, not both, replaced by a uniformly drawn
// entity), minimises the margin ranking loss and keeps the entities at unit
// norm. "Filtered" corruption (sec. 4.2's filtered setting carried over to
// training) never draws a corruption that is itself a known true triple.
//
// Link prediction is measured on tail prediction: every entity is ranked as
// the tail of (h, r, ?) and the true tail's rank gives mean rank, MRR and
// Hits@k; the filtered protocol first removes the other candidates that form
// known true triples (of the graph or the test set).
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/data/knowledge_graph.hpp>
#include <adaptrec/data/shuffle.hpp>
#include <adaptrec/encoders/transe.hpp>
#include <adaptrec/losses/margin_ranking.hpp>
#include <adaptrec/optim/adagrad.hpp>
#include <adaptrec/optim/sgd.hpp>
#include <adaptrec/train/progress.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

namespace adaptrec::train {

enum class TransEOptimizer { sgd, adagrad };

struct TransETrainOptions {
  int epochs = 100;
  std::size_t batch_size = 128;  // true triples per step
  index_t negatives_per_positive = 1;
  double margin = 1.0;  // gamma of the margin ranking loss
  // The loss is the batch MEAN (Bordes et al. sum over the batch), so plain
  // SGD wants a rate about batch_size times the paper's.
  double learning_rate = 0.05;
  TransEOptimizer optimizer = TransEOptimizer::adagrad;
  std::uint64_t seed = 42;
  bool filtered_corruption = true;
  bool progress = false;  // a line per epoch on stderr

  // Throws invalid_argument naming the option.
  void validate() const {
    auto fail = [](const std::string& option, const std::string& why) {
      throw invalid_argument("adaptrec::train::TransETrainOptions: " + option + " " + why);
    };
    if (epochs < 0) fail("epochs", "must be >= 0, got " + std::to_string(epochs));
    if (batch_size == 0) fail("batch_size", "must be positive");
    if (negatives_per_positive < 1)
      fail("negatives_per_positive", "must be >= 1, got " + std::to_string(negatives_per_positive));
    if (!(margin >= 0) || !std::isfinite(margin))
      fail("margin", "must be finite and >= 0, got " + std::to_string(margin));
    if (!(learning_rate > 0) || !std::isfinite(learning_rate))
      fail("learning_rate", "must be finite and positive, got " + std::to_string(learning_rate));
  }
};

namespace detail {

// Draws corrupted triples for one graph.
class TripleCorrupter {
 public:
  TripleCorrupter(const data::KnowledgeGraph& graph, bool filtered)
      : graph_(graph), filtered_(filtered) {}

  data::Triple corrupt(const data::Triple& t, Rng& rng) const {
    const bool replace_head = data::uniform_below(rng, 2) == 0;
    const auto entities = static_cast<std::uint64_t>(graph_.num_entities());
    // Rejection first: in a sparse graph almost every draw is a true negative.
    for (int attempt = 0; attempt < max_draws; ++attempt) {
      const auto e = static_cast<index_t>(data::uniform_below(rng, entities));
      const data::Triple c = replace(t, replace_head, e);
      if (!filtered_ || !graph_.contains(c)) return c;
    }
    // A dense (h, r) or (r, t): draw among the corruptions that remain, on
    // either side, so that the loop above cannot spin forever.
    std::vector<data::Triple> candidates;
    for (const bool head : {replace_head, !replace_head}) {
      for (index_t e = 0; e < graph_.num_entities(); ++e)
        if (const data::Triple c = replace(t, head, e); !graph_.contains(c))
          candidates.push_back(c);
      if (!candidates.empty()) break;
    }
    if (candidates.empty())
      throw invalid_argument(
          "adaptrec::train::train_transe: every corruption of triple (" + std::to_string(t.head) +
          ", " + std::to_string(t.relation) + ", " + std::to_string(t.tail) +
          ") is a known true triple; filtered corruption has no negative to draw");
    return candidates[static_cast<std::size_t>(data::uniform_below(rng, candidates.size()))];
  }

 private:
  static constexpr int max_draws = 64;

  static data::Triple replace(const data::Triple& t, bool head, index_t e) {
    return head ? data::Triple{e, t.relation, t.tail} : data::Triple{t.head, t.relation, e};
  }

  const data::KnowledgeGraph& graph_;
  bool filtered_;
};

template <class T, class Optimizer>
std::vector<double> run_transe_epochs(encoders::TransE<T>& model, const data::KnowledgeGraph& graph,
                                      const TransETrainOptions& options, Optimizer& optimizer) {
  Rng rng(options.seed);
  const TripleCorrupter corrupter(graph, options.filtered_corruption);
  losses::MarginRankingLoss<T> loss(static_cast<T>(options.margin));
  const std::vector<data::Triple>& triples = graph.triples();
  const index_t k = options.negatives_per_positive;
  std::vector<std::size_t> order(triples.size());
  std::vector<double> epoch_losses;
  std::vector<data::Triple> batch;

  model.train(true);
  optimizer.zero_grad();
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    Progress progress("transe epoch " + std::to_string(epoch), options.progress);
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    data::shuffle_in_place(order, rng);
    for (std::size_t begin = 0; begin < order.size(); begin += options.batch_size) {
      const std::size_t end = std::min(order.size(), begin + options.batch_size);
      const auto positives = static_cast<index_t>(end - begin);
      // One score() call for the positives, then their k corruptions each.
      batch.clear();
      for (std::size_t i = begin; i < end; ++i) batch.push_back(triples[order[i]]);
      for (std::size_t i = begin; i < end; ++i)
        for (index_t j = 0; j < k; ++j) batch.push_back(corrupter.corrupt(triples[order[i]], rng));
      const Tensor<T> scores = model.score(data::triples_tensor(batch));
      Tensor<T> positive_scores(Shape{positives});
      Tensor<T> negative_scores(Shape{positives, k});
      std::copy_n(scores.data(), positives, positive_scores.data());
      std::copy_n(scores.data() + positives, positives * k, negative_scores.data());

      const T batch_loss = loss.forward(positive_scores, negative_scores);
      const losses::PairGrad<T> grad = loss.backward();
      Tensor<T> d_scores(scores.shape());
      std::copy_n(grad.first.data(), positives, d_scores.data());
      std::copy_n(grad.second.data(), positives * k, d_scores.data() + positives);
      model.score_backward(d_scores);
      optimizer.step();
      model.normalize_touched_entities();
      optimizer.zero_grad();
      progress.update(static_cast<std::size_t>(positives * k), static_cast<double>(batch_loss));
    }
    progress.finish();
    epoch_losses.push_back(progress.mean_loss());
  }
  return epoch_losses;
}

}  // namespace detail

// Trains `model` in place on every triple of `graph`; returns the mean loss
// of each epoch (over its corrupted pairs, before each step's update).
template <class T>
std::vector<double> train_transe(encoders::TransE<T>& model, const data::KnowledgeGraph& graph,
                                 const TransETrainOptions& options) {
  options.validate();
  if (graph.num_entities() != model.num_entities() ||
      graph.num_relations() != model.num_relations())
    throw invalid_argument(
        "adaptrec::train::train_transe: the graph has " + std::to_string(graph.num_entities()) +
        " entities and " + std::to_string(graph.num_relations()) +
        " relations but the model was built for " + std::to_string(model.num_entities()) + " and " +
        std::to_string(model.num_relations()));
  if (graph.num_triples() == 0)
    throw invalid_argument("adaptrec::train::train_transe: the graph has no triples");
  const auto lr = static_cast<T>(options.learning_rate);
  if (options.optimizer == TransEOptimizer::sgd) {
    optim::Sgd<T> sgd(collect_parameters(model), {.learning_rate = lr});
    return detail::run_transe_epochs(model, graph, options, sgd);
  }
  optim::Adagrad<T> adagrad(collect_parameters(model), {.learning_rate = lr});
  return detail::run_transe_epochs(model, graph, options, adagrad);
}

struct LinkPredictionMetrics {
  double mean_rank = 0;
  double mean_reciprocal_rank = 0;
  double hits_at_1 = 0;
  double hits_at_3 = 0;
  double hits_at_10 = 0;
  std::size_t count = 0;  // test triples ranked
};

// Tail prediction for every test triple (h, r, t): the rank of t among all
// entities by model.score_tails(h, r). `filtered` drops the candidates e != t
// for which (h, r, e) is a triple of `graph` or of `test`. Tied candidates
// count half (the expected rank under random tie-breaking; optimistic ties
// flatter degenerate models, Sun et al., "A Re-evaluation of Knowledge Graph
// Completion Methods", ACL 2020, sec. 4).
template <class T>
LinkPredictionMetrics evaluate_link_prediction(const encoders::TransE<T>& model,
                                               const data::KnowledgeGraph& graph,
                                               std::span<const data::Triple> test,
                                               bool filtered = true) {
  for (const data::Triple& t : test) graph.require_ids(t, "evaluate_link_prediction");
  if (graph.num_entities() != model.num_entities())
    throw invalid_argument("adaptrec::train::evaluate_link_prediction: the graph has " +
                           std::to_string(graph.num_entities()) + " entities but the model " +
                           std::to_string(model.num_entities()));
  const std::unordered_set<data::Triple, data::TripleHash> test_set(test.begin(), test.end());
  LinkPredictionMetrics m;
  for (const data::Triple& t : test) {
    const Tensor<T> scores = model.score_tails(t.head, t.relation);
    const T truth = scores[t.tail];
    double greater = 0, ties = 0;
    for (index_t e = 0; e < scores.size(); ++e) {
      if (e == t.tail || !(scores[e] >= truth)) continue;
      if (filtered) {
        const data::Triple candidate{t.head, t.relation, e};
        if (graph.contains(candidate) || test_set.count(candidate)) continue;
      }
      (scores[e] > truth ? greater : ties) += 1;
    }
    const double rank = 1 + greater + ties / 2;
    m.mean_rank += rank;
    m.mean_reciprocal_rank += 1 / rank;
    m.hits_at_1 += rank <= 1;
    m.hits_at_3 += rank <= 3;
    m.hits_at_10 += rank <= 10;
  }
  m.count = test.size();
  if (m.count) {
    const auto n = static_cast<double>(m.count);
    m.mean_rank /= n;
    m.mean_reciprocal_rank /= n;
    m.hits_at_1 /= n;
    m.hits_at_3 /= n;
    m.hits_at_10 /= n;
  }
  return m;
}

}  // namespace adaptrec::train
