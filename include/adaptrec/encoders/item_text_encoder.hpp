#pragma once
// Item text -> the recommender's embedding space: each item's text (for
// MovieLens "title (year) | genres") is encoded by a pretrained BERT-family
// encoder, and a trainable linear projection maps the text vector to the
// width the recommender uses (the frozen-encoder recipe of content-based
// item towers; Hou et al., "Towards Universal Sequence Representation
// Learning for Recommender Systems", KDD 2022, sec. 2.2, freezes the text
// encoder the same way and adapts only what sits above it).
//
// Two modes, chosen by options.fine_tune_top_layers = k:
//  - k = 0 (frozen): every item is encoded once, in eval mode, into a cache of
//    pooled vectors [num_items, hidden]; forward gathers rows of it and
//    projects them. Only `projection.*` trains.
//  - k > 0 (fine-tune the top k layers): the cache holds each item's token
//    states at the output of layer L - k (real tokens only). Forward runs the
//    top k layers on the batch's distinct items, pools and projects; backward
//    flows through those layers. The embeddings and the bottom L - k layers
//    never run again and never change, so a step costs k layers, not L.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/encoders/bert.hpp>
#include <adaptrec/encoders/pooling.hpp>
#include <adaptrec/layers/l2_normalize.hpp>
#include <adaptrec/layers/linear.hpp>
#include <adaptrec/text/bert_tokenizer.hpp>
#include <adaptrec/text/token_batch.hpp>

#include <algorithm>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace adaptrec::encoders {

struct ItemTextEncoderOptions {
  Pooling pooling = Pooling::mean;
  // Tokens per item text, [CLS] and [SEP] included; longer texts are truncated.
  index_t max_length = 64;
  // The width of the recommender's item vectors; required.
  index_t output_dim = 0;
  // 0 freezes the encoder; k > 0 fine-tunes its top k layers.
  index_t fine_tune_top_layers = 0;
  // Items per encoder pass while building the cache (and in eval-mode forwards).
  index_t encode_batch = 64;
  // Scale each pooled text vector to unit L2 norm before the projection, as
  // sentence-transformers' models end (their published embeddings are unit).
  bool normalize_text_vectors = false;
};

template <class T = float>
class ItemTextEncoder : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<index_t>;
  using output_type = Tensor<T>;

  // item_texts[i] is the text of item i. The encoder's trainable flags are
  // set here from the options: the top k layers (and in fine-tune mode the
  // pooler when pooling with it, and a pre-LN model's final layer norm) train,
  // everything else is frozen. `rng` draws
  // the projection's initial weights.
  ItemTextEncoder(Bert<T> encoder, text::BertTokenizer tokenizer,
                  const std::vector<std::string>& item_texts, const ItemTextEncoderOptions& options,
                  Rng& rng)
      : bert_(std::move(encoder)),
        tokenizer_(std::move(tokenizer)),
        options_(checked(options, bert_)),
        projection_(bert_.hidden_size(), options_.output_dim, rng),
        first_tuned_layer_(bert_.num_layers() -
                           static_cast<std::size_t>(options_.fine_tune_top_layers)) {
    set_trainable(bert_, false);
    for (std::size_t i = first_tuned_layer_; i < bert_.num_layers(); ++i)
      set_trainable(bert_.layer(i), true);
    if (fine_tunes() && options_.pooling == Pooling::pooler) set_trainable(bert_.pooler(), true);
    if (fine_tunes() && bert_.has_final_layer_norm()) set_trainable(bert_.final_layer_norm(), true);
    token_offsets_.push_back(0);
    add_items(item_texts);
  }

  index_t num_items() const { return static_cast<index_t>(token_offsets_.size()) - 1; }
  index_t text_dim() const { return bert_.hidden_size(); }
  index_t output_dim() const { return options_.output_dim; }
  bool fine_tunes() const { return options_.fine_tune_top_layers > 0; }
  const ItemTextEncoderOptions& options() const { return options_; }
  Bert<T>& encoder() { return bert_; }
  const text::BertTokenizer& tokenizer() const { return tokenizer_; }
  layers::Linear<T>& projection() { return projection_; }

  // The token ids of item `item`'s text, [CLS] and [SEP] included.
  std::span<const index_t> token_ids(index_t item) const {
    require_item(item, "token_ids");
    return {token_ids_.data() + token_offsets_[static_cast<std::size_t>(item)],
            static_cast<std::size_t>(length(item))};
  }

  // Frozen mode: the cached text vector of `item` [hidden]. Fine-tune mode:
  // its cached token states at the output of layer L - k [tokens, hidden].
  Tensor<T> cached(index_t item) const {
    require_item(item, "cached");
    const index_t h = text_dim();
    const index_t rows = fine_tunes() ? length(item) : 1;
    const index_t first = fine_tunes() ? token_offsets_[static_cast<std::size_t>(item)] : item;
    Tensor<T> out(fine_tunes() ? Shape{rows, h} : Shape{h});
    std::copy_n(cache_.data() + first * h, rows * h, out.data());
    return out;
  }

  // Appends items; the first gets id num_items(). Only they are encoded. A
  // text the tokenizer rejects leaves the encoder as it was.
  void add_items(const std::vector<std::string>& texts) {
    const index_t first = num_items();
    std::vector<text::Encoding> encodings;
    encodings.reserve(texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i)
      encodings.push_back(tokenize(texts[i], first + static_cast<index_t>(i)));
    for (const text::Encoding& e : encodings) {
      token_ids_.insert(token_ids_.end(), e.ids.begin(), e.ids.end());
      token_types_.insert(token_types_.end(), e.token_type_ids.begin(), e.token_type_ids.end());
      token_offsets_.push_back(static_cast<index_t>(token_ids_.size()));
    }
    Tensor<T> grown(Shape{fine_tunes() ? token_offsets_.back() : num_items(), text_dim()});
    std::copy_n(cache_.data(), cache_.size(), grown.data());
    cache_ = std::move(grown);
    encode_items(first, num_items());
  }

  // Rebuilds the whole cache, after the encoder's weights were changed from
  // outside (a checkpoint loaded into encoder(), say).
  void refresh() { encode_items(0, num_items()); }

  // ids: any shape of rank 0..3 -> ids.shape + [output_dim].
  Tensor<T> forward(const Tensor<index_t>& ids) {
    require_ids(ids);
    Shape out_shape = ids.shape();
    out_shape.push_back(output_dim());
    ids_ = ids;
    if (!fine_tunes()) {
      Tensor<T> gathered(Shape{ids.size(), text_dim()});
      backend::gather_rows(cache_, ids, gathered);
      return projection_.forward(gathered).reshaped(out_shape);
    }
    distinct_items(ids);
    const Tensor<T> projected = projection_.forward(tuned_text_vectors(is_training()));
    Tensor<T> out(out_shape);
    backend::gather_rows(projected, slot_of_id_, out);
    return out;
  }

  // dy: ids.shape + [output_dim] from the last forward.
  void backward(const Tensor<T>& dy) {
    Shape expected = ids_.shape();
    expected.push_back(output_dim());
    require_shape(dy, expected, "adaptrec::encoders::ItemTextEncoder::backward (gradient)");
    const Tensor<T> dy_rows = dy.reshaped(Shape{ids_.size(), output_dim()});
    if (!fine_tunes()) {
      projection_.backward(dy_rows);
      return;
    }
    if (!backward_ready_)
      throw error("adaptrec::encoders::ItemTextEncoder::backward: the last forward ran in eval "
                  "mode, which keeps nothing for backward; call train(true) before it");
    Tensor<T> d_projected(Shape{static_cast<index_t>(distinct_.size()), output_dim()});
    backend::scatter_add_rows(dy_rows, slot_of_id_, d_projected);
    Tensor<T> d_text = projection_.backward(d_projected);
    if (options_.normalize_text_vectors) d_text = normalize_.backward(d_text);
    Tensor<T> d_states = pool_backward(d_text);
    if (bert_.has_final_layer_norm()) d_states = bert_.final_layer_norm().backward(d_states);
    for (std::size_t i = bert_.num_layers(); i-- > first_tuned_layer_;)
      d_states = bert_.layer(i).backward(d_states);
  }

  void train(bool on = true) {
    training_ = on;
    projection_.train(on);
    for (std::size_t i = first_tuned_layer_; i < bert_.num_layers(); ++i) bert_.layer(i).train(on);
    if (fine_tunes() && options_.pooling == Pooling::pooler) bert_.pooler().train(on);
    if (fine_tunes() && bert_.has_final_layer_norm()) bert_.final_layer_norm().train(on);
  }
  void eval() { train(false); }

  // `projection.*`, and in fine-tune mode the top layers under the encoder's
  // own names (`encoder.layer.N.*`, `pooler.*`), so they load from and save to
  // the same checkpoint keys as the whole model.
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    projection_.visit_parameters(f, join_name(prefix, "projection"));
    for (std::size_t i = first_tuned_layer_; i < bert_.num_layers(); ++i)
      bert_.layer(i).visit_parameters(f, join_name(prefix, "encoder.layer." + std::to_string(i)));
    if (fine_tunes() && bert_.has_final_layer_norm())
      bert_.final_layer_norm().visit_parameters(f, join_name(prefix, "encoder.final_layer_norm"));
    if (fine_tunes() && options_.pooling == Pooling::pooler)
      bert_.pooler().visit_parameters(f, join_name(prefix, "pooler"));
  }

 private:
  static const ItemTextEncoderOptions& checked(const ItemTextEncoderOptions& o, Bert<T>& bert) {
    const std::string where = "adaptrec::encoders::ItemTextEncoder: ";
    const auto layers = static_cast<index_t>(bert.num_layers());
    if (o.output_dim <= 0)
      throw invalid_argument(where + "output_dim must be positive, got " +
                             std::to_string(o.output_dim));
    if (o.max_length < 2 || o.max_length > bert.config().max_position_embeddings)
      throw invalid_argument(where + "max_length " + std::to_string(o.max_length) +
                             " is outside [2, " +
                             std::to_string(bert.config().max_position_embeddings) +
                             "] (room for [CLS] and [SEP], at most the model's positions)");
    if (o.fine_tune_top_layers < 0 || o.fine_tune_top_layers > layers)
      throw invalid_argument(where + "fine_tune_top_layers " +
                             std::to_string(o.fine_tune_top_layers) + " is outside [0, " +
                             std::to_string(layers) + "] (the encoder's layers)");
    if (o.encode_batch < 1)
      throw invalid_argument(where + "encode_batch must be >= 1, got " +
                             std::to_string(o.encode_batch));
    if (o.pooling == Pooling::pooler && !bert.has_pooler())
      throw invalid_argument(where + "pooling 'pooler' needs an encoder built with its pooler");
    return o;
  }

  index_t length(index_t item) const {
    const auto i = static_cast<std::size_t>(item);
    return token_offsets_[i + 1] - token_offsets_[i];
  }

  void require_item(index_t item, const char* where) const {
    if (item < 0 || item >= num_items())
      throw index_error(std::string("adaptrec::encoders::ItemTextEncoder::") + where + ": item " +
                        std::to_string(item) + " is outside [0, num_items = " +
                        std::to_string(num_items()) + ")");
  }

  void require_ids(const Tensor<index_t>& ids) const {
    if (ids.rank() >= Shape::max_rank || ids.size() != ids.shape().numel())
      throw shape_error("adaptrec::encoders::ItemTextEncoder: item ids of shape " +
                        ids.shape().to_string() +
                        " (the ids need rank at most 3 and storage for every element)");
    for (index_t i = 0; i < ids.size(); ++i)
      if (ids[i] < 0 || ids[i] >= num_items())
        throw index_error("adaptrec::encoders::ItemTextEncoder: item id " +
                          std::to_string(ids[i]) + " at position " + std::to_string(i) +
                          " is outside [0, num_items = " + std::to_string(num_items()) + ")");
  }

  text::Encoding tokenize(const std::string& text, index_t item) const {
    text::Encoding encoding;
    try {
      encoding = tokenizer_.encode_with_types(text, {}, options_.max_length);
    } catch (const invalid_argument& e) {
      throw invalid_argument("adaptrec::encoders::ItemTextEncoder: text of item " +
                             std::to_string(item) + ": " + e.what());
    }
    const index_t vocab = bert_.config().vocab_size;
    for (index_t id : encoding.ids)
      if (id < 0 || id >= vocab)
        throw index_error("adaptrec::encoders::ItemTextEncoder: text of item " +
                          std::to_string(item) + " has token id " + std::to_string(id) +
                          " outside the encoder's vocab_size " + std::to_string(vocab) +
                          " (tokenizer and model do not match)");
    return encoding;
  }

  // The items' token sequences padded with [PAD] to the longest of them.
  text::TokenBatch padded_batch(std::span<const index_t> items) const {
    index_t longest = 0;
    for (index_t item : items) longest = std::max(longest, length(item));
    const Shape shape{static_cast<index_t>(items.size()), longest};
    text::TokenBatch batch{Tensor<index_t>::full(shape, tokenizer_.padding_id()),
                           Tensor<index_t>(shape), Tensor<index_t>(shape)};
    for (std::size_t r = 0; r < items.size(); ++r) {
      const index_t first = token_offsets_[static_cast<std::size_t>(items[r])];
      const index_t row = static_cast<index_t>(r) * longest;
      const index_t n = length(items[r]);
      std::copy_n(token_ids_.data() + first, n, batch.input_ids.data() + row);
      std::copy_n(token_types_.data() + first, n, batch.token_type_ids.data() + row);
      std::fill_n(batch.attention_mask.data() + row, n, index_t(1));
    }
    return batch;
  }

  // Items [first, last), shortest first in groups of encode_batch so that
  // padding wastes little, through the frozen part of the encoder in eval mode.
  void encode_items(index_t first, index_t last) {
    std::vector<index_t> order(static_cast<std::size_t>(last - first));
    std::iota(order.begin(), order.end(), first);
    std::stable_sort(order.begin(), order.end(),
                     [&](index_t a, index_t b) { return length(a) < length(b); });
    const index_t h = text_dim();
    bert_.eval();
    for (std::size_t begin = 0; begin < order.size();
         begin += static_cast<std::size_t>(options_.encode_batch)) {
      const std::size_t end =
          std::min(order.size(), begin + static_cast<std::size_t>(options_.encode_batch));
      const std::span<const index_t> items(order.data() + begin, end - begin);
      const text::TokenBatch batch = padded_batch(items);
      if (!fine_tunes()) {
        Tensor<T> pooled = bert_.encode(batch, options_.pooling);
        if (options_.normalize_text_vectors) pooled = layers::L2Normalize<T>().forward(pooled);
        for (std::size_t r = 0; r < items.size(); ++r)
          std::copy_n(pooled.data() + static_cast<index_t>(r) * h, h, cache_.data() + items[r] * h);
        continue;
      }
      const Tensor<T> key_mask = batch.attention_mask.template cast<T>();
      Tensor<T> states = bert_.embeddings().forward(batch.input_ids, batch.token_type_ids);
      for (std::size_t i = 0; i < first_tuned_layer_; ++i)
        states = bert_.layer(i).forward(states, key_mask);
      const index_t longest = batch.sequence_length();
      for (std::size_t r = 0; r < items.size(); ++r)
        std::copy_n(states.data() + static_cast<index_t>(r) * longest * h,
                    length(items[r]) * h,
                    cache_.data() + token_offsets_[static_cast<std::size_t>(items[r])] * h);
    }
    train(training_);  // restores the tuned layers' mode
  }

  // distinct_ = the sorted distinct ids of `ids`; slot_of_id_[i] = the row of
  // ids[i] in distinct_.
  void distinct_items(const Tensor<index_t>& ids) {
    distinct_.assign(ids.begin(), ids.end());
    std::sort(distinct_.begin(), distinct_.end());
    distinct_.erase(std::unique(distinct_.begin(), distinct_.end()), distinct_.end());
    slot_of_id_ = Tensor<index_t>(Shape{ids.size()});
    for (index_t i = 0; i < ids.size(); ++i)
      slot_of_id_[i] = std::lower_bound(distinct_.begin(), distinct_.end(), ids[i]) -
                       distinct_.begin();
  }

  // Text vectors [distinct, hidden] of the distinct items through the top
  // layers and the pooling. For backward, all of them go in one pass, whose
  // activations the layers keep; otherwise in shortest-first groups.
  Tensor<T> tuned_text_vectors(bool for_backward) {
    Tensor<T> vectors =
        for_backward ? top_layers_and_pool(distinct_) : tuned_text_vectors_in_groups();
    backward_ready_ = for_backward;
    return options_.normalize_text_vectors ? normalize_.forward(vectors) : vectors;
  }

  Tensor<T> tuned_text_vectors_in_groups() {
    const index_t h = text_dim();
    Tensor<T> vectors(Shape{static_cast<index_t>(distinct_.size()), h});
    std::vector<index_t> order(distinct_.size());
    std::iota(order.begin(), order.end(), index_t(0));
    std::stable_sort(order.begin(), order.end(), [&](index_t a, index_t b) {
      return length(distinct_[static_cast<std::size_t>(a)]) <
             length(distinct_[static_cast<std::size_t>(b)]);
    });
    const auto group_size = static_cast<std::size_t>(options_.encode_batch);
    std::vector<index_t> group;
    for (std::size_t begin = 0; begin < order.size(); begin += group_size) {
      const std::size_t end = std::min(order.size(), begin + group_size);
      group.clear();
      for (std::size_t i = begin; i < end; ++i)
        group.push_back(distinct_[static_cast<std::size_t>(order[i])]);
      const Tensor<T> pooled = top_layers_and_pool(group);
      for (std::size_t i = begin; i < end; ++i)
        std::copy_n(pooled.data() + static_cast<index_t>(i - begin) * h, h,
                    vectors.data() + order[i] * h);
    }
    return vectors;
  }

  Tensor<T> top_layers_and_pool(std::span<const index_t> items) {
    const index_t h = text_dim();
    pool_batch_ = padded_batch(items);
    const index_t longest = pool_batch_.sequence_length();
    Tensor<T> states(Shape{static_cast<index_t>(items.size()), longest, h});
    for (std::size_t r = 0; r < items.size(); ++r)
      std::copy_n(cache_.data() + token_offsets_[static_cast<std::size_t>(items[r])] * h,
                  length(items[r]) * h, states.data() + static_cast<index_t>(r) * longest * h);
    key_mask_ = pool_batch_.attention_mask.template cast<T>();
    for (std::size_t i = first_tuned_layer_; i < bert_.num_layers(); ++i)
      states = bert_.layer(i).forward(states, key_mask_);
    // A pre-LN encoder normalises after its last layer; it trains with the top layers.
    if (bert_.has_final_layer_norm()) states = bert_.final_layer_norm().forward(states);
    pooled_states_shape_ = states.shape();
    switch (options_.pooling) {
      case Pooling::cls: return cls_pool(states);
      case Pooling::mean: return mean_pool(states, pool_batch_.attention_mask);
      case Pooling::pooler: return bert_.pooler().forward(states);
    }
    throw invalid_argument("adaptrec::encoders::ItemTextEncoder: unknown pooling");
  }

  Tensor<T> pool_backward(const Tensor<T>& d_pooled) {
    switch (options_.pooling) {
      case Pooling::cls: return cls_pool_backward(d_pooled, pooled_states_shape_);
      case Pooling::mean: return mean_pool_backward(d_pooled, pool_batch_.attention_mask);
      case Pooling::pooler: return bert_.pooler().backward(d_pooled);
    }
    throw invalid_argument("adaptrec::encoders::ItemTextEncoder: unknown pooling");
  }

  Bert<T> bert_;
  text::BertTokenizer tokenizer_;
  ItemTextEncoderOptions options_;
  layers::Linear<T> projection_;
  layers::L2Normalize<T> normalize_;
  std::size_t first_tuned_layer_;

  // Item i's tokens are [token_offsets_[i], token_offsets_[i + 1]) of these.
  std::vector<index_t> token_ids_, token_types_, token_offsets_;
  // Frozen: [num_items, hidden] text vectors. Fine-tune: [tokens, hidden]
  // states, row-aligned with token_ids_.
  Tensor<T> cache_;

  Tensor<index_t> ids_;
  std::vector<index_t> distinct_;
  Tensor<index_t> slot_of_id_;
  text::TokenBatch pool_batch_;
  Tensor<T> key_mask_;
  Shape pooled_states_shape_;
  bool backward_ready_ = false;
};

}  // namespace adaptrec::encoders
