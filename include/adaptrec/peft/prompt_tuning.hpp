#pragma once
// Prompt tuning (Lester et al., "The Power of Scale for Parameter-Efficient
// Prompt Tuning", EMNLP 2021, sec. 2): n trainable soft tokens P [n, H] in
// front of every sequence, the backbone frozen. The parameter is named
// `prompt_embeddings`, as Hugging Face PEFT saves it.
//
// Where the soft tokens enter. PEFT prepends them to BERT's inputs_embeds,
// before the position and token-type embeddings and the embedding LayerNorm:
// the soft tokens take positions 0 .. n-1 and push the real tokens to n ..
// n+S-1, so [CLS] no longer sits where pretraining put it and n + S must fit
// in max_position_embeddings. Lester et al. work with T5, whose relative
// position biases give the prompt no absolute position at all. The closest
// equivalent for an absolute-position encoder is to insert P after the
// embedding layer (encoders/input_prompt.hpp): every real token keeps its
// pretrained position and type, its embedding is unchanged, pooling (cls,
// mean) sees the same tokens, and P lives in the space the first layer reads.
// That is what is done here; a PEFT prompt_embeddings tensor (word-embedding
// space) is therefore not interchangeable with this one.
//
// Initialisation (sec. 2.1 and 3.2): uniform in [-0.5, 0.5] by default, or from the
// embedding layer's output for given token ids (class labels, sampled
// vocabulary or a task description), repeated or cut to n as PEFT's TEXT
// init does; the soft tokens then start as the first layer would see those
// tokens.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/encoders/bert.hpp>
#include <adaptrec/encoders/input_prompt.hpp>
#include <adaptrec/io/json.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace adaptrec::peft {

struct PromptTuningOptions {
  index_t num_virtual_tokens = 20;
  // Empty: uniform in [-init_range, init_range].
  std::vector<index_t> init_token_ids;
  double init_range = 0.5;
};

namespace detail {

template <class T>
class SoftPrompt final : public encoders::InputPrompt<T> {
 public:
  explicit SoftPrompt(Tensor<T> initial) : prompt_embeddings_(initial.shape()) {
    prompt_embeddings_.value = std::move(initial);
  }

  Parameter<T>& prompt_embeddings() { return prompt_embeddings_; }

  const Tensor<T>& forward() override { return prompt_embeddings_.value; }
  void backward(const Tensor<T>& d_rows) override {
    if (prompt_embeddings_.trainable) backend::axpy(T(1), d_rows, prompt_embeddings_.grad);
  }
  bool trainable() const override { return prompt_embeddings_.trainable; }
  void visit_parameters(const layers::ParameterVisitor<T>& visit,
                        const std::string& prefix) override {
    visit(join_name(prefix, "prompt_embeddings"), prompt_embeddings_);
  }

 private:
  Parameter<T> prompt_embeddings_;
};

}  // namespace detail

template <class T = float>
class PromptTuning {
 public:
  using scalar_type = T;
  using options_type = PromptTuningOptions;

  // Draws or computes the initial prompt for `backbone`; nothing is attached
  // yet. Initialising from token ids runs the backbone's embedding layer (in
  // eval mode, so without dropout).
  PromptTuning(encoders::Bert<T>& backbone, const PromptTuningOptions& options, Rng& rng)
      : options_(checked(options)),
        heads_(backbone.config().num_attention_heads),
        layers_(backbone.num_layers()),
        prompt_(std::make_unique<detail::SoftPrompt<T>>(initial_prompt(backbone, options, rng))) {}

  const PromptTuningOptions& options() const { return options_; }
  index_t num_virtual_tokens() const { return options_.num_virtual_tokens; }
  index_t hidden_size() const { return prompt_->prompt_embeddings().shape()[1]; }
  Parameter<T>& prompt_embeddings() { return prompt_->prompt_embeddings(); }

  void attach(encoders::Bert<T>& backbone) {
    if (backbone.hidden_size() != hidden_size())
      throw shape_error("adaptrec::peft::PromptTuning: prompt_embeddings " +
                        prompt_->prompt_embeddings().shape().to_string() +
                        " do not fit a model of hidden size " +
                        std::to_string(backbone.hidden_size()));
    backbone.attach_prompt(prompt_.get());
  }
  void detach(encoders::Bert<T>& backbone) {
    if (backbone.prompt() == prompt_.get()) backbone.detach_prompt();
  }
  bool attached_to(const encoders::Bert<T>& backbone) const {
    return backbone.prompt() == prompt_.get();
  }

  // `prompt_embeddings`, attached or not.
  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    prompt_->visit_parameters([&f](const std::string& n, Parameter<T>& p) { f(n, p); }, prefix);
  }
  void train(bool on = true) { training_ = on; }
  bool is_training() const { return training_; }

  // Hugging Face PEFT's adapter_config.json fields for this method.
  io::Json config_json() const {
    io::Json c = io::Json::object();
    c.set("peft_type", "PROMPT_TUNING");
    c.set("num_virtual_tokens", options_.num_virtual_tokens);
    c.set("token_dim", hidden_size());
    c.set("num_transformer_submodules", 1);
    c.set("num_attention_heads", heads_);
    c.set("num_layers", layers_);
    c.set("prompt_tuning_init", options_.init_token_ids.empty() ? "RANDOM" : "TEXT");
    return c;
  }

 private:
  static const PromptTuningOptions& checked(const PromptTuningOptions& o) {
    if (o.num_virtual_tokens <= 0)
      throw invalid_argument("adaptrec::peft::PromptTuning: num_virtual_tokens=" +
                             std::to_string(o.num_virtual_tokens) + " must be positive");
    if (!(o.init_range > 0))
      throw invalid_argument("adaptrec::peft::PromptTuning: init_range=" +
                             std::to_string(o.init_range) + " must be positive");
    return o;
  }

  static Tensor<T> initial_prompt(encoders::Bert<T>& backbone, const PromptTuningOptions& o,
                                  Rng& rng) {
    const index_t n = o.num_virtual_tokens, hidden = backbone.hidden_size();
    if (o.init_token_ids.empty()) {
      Tensor<T> p(Shape{n, hidden});
      fill_uniform(p, T(-o.init_range), T(o.init_range), rng);
      return p;
    }
    auto& embeddings = backbone.embeddings();
    for (std::size_t i = 0; i < o.init_token_ids.size(); ++i)
      if (o.init_token_ids[i] < 0 || o.init_token_ids[i] >= embeddings.vocab_size())
        throw index_error("adaptrec::peft::PromptTuning: init_token_ids[" + std::to_string(i) +
                          "] = " + std::to_string(o.init_token_ids[i]) + " is outside [0, " +
                          std::to_string(embeddings.vocab_size()) + ") (vocab_size)");
    if (n > embeddings.max_positions())
      throw invalid_argument("adaptrec::peft::PromptTuning: num_virtual_tokens=" +
                             std::to_string(n) + " initialised from token ids exceeds " +
                             "max_position_embeddings = " +
                             std::to_string(embeddings.max_positions()));
    Tensor<index_t> ids(Shape{1, n});
    for (index_t i = 0; i < n; ++i)
      ids[i] = o.init_token_ids[static_cast<std::size_t>(i) % o.init_token_ids.size()];
    const bool was_training = embeddings.is_training();
    embeddings.eval();
    Tensor<T> rows = embeddings.forward(ids, Tensor<index_t>{});
    embeddings.train(was_training);
    rows.reshape(Shape{n, hidden});
    return rows;
  }

  PromptTuningOptions options_;
  index_t heads_;
  std::size_t layers_;
  std::unique_ptr<detail::SoftPrompt<T>> prompt_;
  bool training_ = true;
};

}  // namespace adaptrec::peft
