// Encoder inference: one eval-mode float32 forward (embeddings and all layers,
// last_hidden_state) of a batch of 32 sequences, and the tokenizer's
// encode_batch on 100,000 short titles. benchmarks/peers/encoder_forward.py
// times the same forwards in PyTorch and ONNX Runtime on the same ids, and
// run_encoder_peers.sh puts both side by side.
//
//   bench_encoder_forward --benchmark_counters_tabular=true
//
// Models: all-MiniLM-L6-v2 (real weights from the cache scripts/fetch_minilm.sh
// fills; skipped with a printed reason when absent) and a BERT-base-shaped
// model (12 layers, hidden 768, 12 heads, intermediate 3072) with random
// weights from BertConfig's defaults. Batches, all [32, S]:
//   full_128:       128 real tokens per row, ids from an integer formula;
//   titles_pad128:  32 MovieLens-like titles padded to 128 (Padding::max_length);
//   titles_longest: the same titles padded to the longest (Padding::longest).
// Title batches need the MiniLM vocabulary (BERT-base uncased's, 30,522 ids).
//
// FLOPs counted per forward: every GEMM and the two attention products, at
// the padded shape (neither adaptrec nor the peers skip padding), with
// 2 m n k per [m, k] x [k, n] product, B sequences of S tokens, L layers,
// hidden H and intermediate I:
//   query, key, value, output projections   4 * 2 (B S) H H
//   feed-forward in and out                  2 * 2 (B S) H I
//   scores Q K^T and context P V             2 * 2 B S S H   (heads * head_dim = H)
//   forward = L * 2 B S (4 H^2 + 2 H I + 2 S H)
// Element-wise work (bias, GELU, softmax, layer norm, embeddings) is left out:
// it is under 1% of these FLOPs. MiniLM-L6 at [32, 128]: 91.80 GFLOP;
// BERT-base: 715.11 GFLOP.
//
// The encoder_gemm cases time the backend GEMMs alone at the encoders' shapes:
// the floor that RESULTS.md divides the FLOPs by. Every case runs with 1 and 2
// threads (the argument).
#include <adaptrec/backend/cpu_backend.hpp>
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/core/threads.hpp>
#include <adaptrec/encoders/bert.hpp>
#include <adaptrec/encoders/bert_pretrained.hpp>
#include <adaptrec/text/bert_tokenizer.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using namespace adaptrec;

constexpr index_t batch_rows = 32, full_length = 128, tokenizer_titles = 100'000;
// bert-base-uncased (and MiniLM) vocabulary: [CLS], [SEP], "the".
constexpr index_t cls_id = 101, sep_id = 102, first_word_id = 1996;

// As tests/support/models.hpp finds it: $ADAPTREC_MINILM, else
// ${ADAPTREC_CACHE:-$HOME/.cache/adaptrec}/all-minilm-l6-v2.
std::filesystem::path minilm_dir() {
  if (const char* env = std::getenv("ADAPTREC_MINILM"); env && *env) return env;
  std::filesystem::path cache;
  if (const char* env = std::getenv("ADAPTREC_CACHE"); env && *env)
    cache = env;
  else if (const char* home = std::getenv("HOME"); home && *home)
    cache = std::filesystem::path(home) / ".cache" / "adaptrec";
  return cache / "all-minilm-l6-v2";
}

bool has_minilm() { return std::filesystem::exists(minilm_dir() / "model.safetensors"); }

// MovieLens-style titles ("Words: Part N, The (1987)") from integer formulas;
// movie_title in peers/encoder_forward.py must stay identical.
constexpr std::array<std::string_view, 64> title_words = {
    "Story",   "Toy",      "Night",     "Love",     "Dead",       "Man",        "Star",
    "Wars",    "Return",   "Lost",      "City",     "Dark",       "King",       "House",
    "Secret",  "Last",     "Blue",      "American", "Wild",       "Heart",      "Time",
    "Life",    "Little",   "Big",       "Girl",     "Boy",        "Street",     "Money",
    "Father",  "Summer",   "Murder",    "Ghost",    "Island",     "Angel",      "Devil",
    "Dream",   "Fire",     "Ice",       "River",    "Mountain",   "Road",       "Home",
    "Game",    "Party",    "Kiss",      "Shadow",   "Moon",       "Sun",        "Empire",
    "Strikes", "Back",     "Jungle",    "Book",     "Mission",    "Impossible", "Hunt",
    "Red",     "October",  "Pulp",      "Fiction",  "Usual",      "Suspects",   "Braveheart",
    "Casablanca"};

std::string movie_title(std::int64_t i) {
  std::string title;
  const std::int64_t words = 1 + (7 * i + i / 5) % 4;
  for (std::int64_t k = 0; k < words; ++k) {
    if (k > 0) title += ' ';
    title += title_words[static_cast<std::size_t>((37 * i + 11 * k + 5 * (i / 64)) % 64)];
  }
  if (i % 13 == 5) title += ": Part " + std::to_string(2 + i % 4);
  if (i % 9 == 0) title += ", The";
  return title + " (" + std::to_string(1920 + (13 * i) % 79) + ")";
}

std::vector<std::string> movie_titles(std::int64_t count) {
  std::vector<std::string> titles;
  titles.reserve(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) titles.push_back(movie_title(i));
  return titles;
}

// [CLS] w ... w [SEP] with no padding; full_batch in the peer script.
text::TokenBatch full_batch() {
  const Shape shape{batch_rows, full_length};
  text::TokenBatch batch{Tensor<index_t>(shape), Tensor<index_t>(shape),
                         Tensor<index_t>::full(shape, index_t{1})};
  for (index_t r = 0; r < batch_rows; ++r)
    for (index_t p = 0; p < full_length; ++p)
      batch.input_ids[r * full_length + p] =
          p == 0 ? cls_id
                 : p == full_length - 1 ? sep_id
                                        : first_word_id + (7919 * r + 104729 * p) % 28000;
  return batch;
}

const text::BertTokenizer& minilm_tokenizer() {
  static const text::BertTokenizer tokenizer = text::BertTokenizer::from_pretrained(minilm_dir());
  return tokenizer;
}

enum class BatchKind { full_128, titles_pad128, titles_longest };

const char* to_string(BatchKind kind) {
  switch (kind) {
    case BatchKind::full_128: return "full_128";
    case BatchKind::titles_pad128: return "titles_pad128";
    case BatchKind::titles_longest: return "titles_longest";
  }
  return "?";
}

text::TokenBatch make_batch(BatchKind kind) {
  if (kind == BatchKind::full_128) return full_batch();
  const text::Padding padding =
      kind == BatchKind::titles_pad128 ? text::Padding::max_length : text::Padding::longest;
  return minilm_tokenizer().encode_batch(movie_titles(batch_rows), full_length, padding);
}

enum class ModelKind { minilm_l6, bert_base };

const char* to_string(ModelKind kind) { return kind == ModelKind::minilm_l6 ? "minilm_l6" : "bert_base"; }

// Built once per process: BERT-base's 110 M random weights take seconds to draw.
encoders::Bert<float>& model(ModelKind kind) {
  static std::unique_ptr<encoders::Bert<float>> minilm, bert_base;
  auto& slot = kind == ModelKind::minilm_l6 ? minilm : bert_base;
  if (!slot) {
    if (kind == ModelKind::minilm_l6) {
      slot = std::make_unique<encoders::Bert<float>>(
          encoders::load_bert<float>(minilm_dir(), {.with_pooler = false}));
    } else {
      Rng rng(0);
      slot = std::make_unique<encoders::Bert<float>>(encoders::BertConfig{}, rng, false);
    }
    slot->eval();
  }
  return *slot;
}

// The formula in the header comment.
double forward_flops(const encoders::BertConfig& c, index_t batch, index_t seq) {
  const double bs = static_cast<double>(batch * seq), h = static_cast<double>(c.hidden_size),
               i = static_cast<double>(c.intermediate_size), s = static_cast<double>(seq);
  return static_cast<double>(c.num_hidden_layers) * 2.0 * bs * (4.0 * h * h + 2.0 * h * i + 2.0 * s * h);
}

// packed: the weights packed for serving (Bert::set_precision), with fused
// epilogues; otherwise the float32 training path.
void encoder_forward(benchmark::State& state, ModelKind model_kind, BatchKind batch_kind,
                     backend::Precision precision, bool packed) {
  set_num_threads(static_cast<int>(state.range(0)));
  encoders::Bert<float>& encoder = model(model_kind);
  // Packing converts every weight: once per precision, not per run.
  const bool is_packed = encoder.layer(0).intermediate().has_packed_weight();
  if (encoder.precision() != precision || is_packed != packed) {
    if (packed)
      encoder.set_precision(precision);
    else
      encoder.clear_precision();
  }
  const text::TokenBatch batch = make_batch(batch_kind);
  index_t real_tokens = 0;
  for (const index_t m : batch.attention_mask) real_tokens += m;

  for (auto _ : state) {
    const Tensor<float> hidden = encoder.forward(batch);
    benchmark::DoNotOptimize(hidden.data());
    benchmark::ClobberMemory();
  }
  const double flops = forward_flops(encoder.config(), batch.batch_size(), batch.sequence_length());
  state.counters["seq_len"] = static_cast<double>(batch.sequence_length());
  state.counters["GFLOP"] = flops * 1e-9;
  state.counters["items/s"] = benchmark::Counter(static_cast<double>(batch.batch_size()),
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["real_tokens/s"] = benchmark::Counter(
      static_cast<double>(real_tokens), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void tokenizer_encode_batch(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const text::BertTokenizer& tokenizer = minilm_tokenizer();
  const std::vector<std::string> titles = movie_titles(tokenizer_titles);
  index_t width = 0;
  for (auto _ : state) {
    const text::TokenBatch batch = tokenizer.encode_batch(titles, 32, text::Padding::longest);
    width = batch.sequence_length();
    benchmark::DoNotOptimize(batch.input_ids.data());
  }
  state.counters["seq_len"] = static_cast<double>(width);
  state.counters["items/s"] = benchmark::Counter(static_cast<double>(tokenizer_titles),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

// C[m, n] = A[m, k] B[n, k]^T, as Linear's forward calls it; the attention
// products as attention_forward runs them (one GEMM per batch and head).
struct EncoderGemm {
  std::string name;
  index_t m, n, k;
  bool attention;  // batch_rows * heads independent GEMMs
};

std::vector<EncoderGemm> encoder_gemms(const std::string& model, index_t hidden, index_t intermediate,
                                       index_t heads) {
  const index_t tokens = batch_rows * full_length, head_dim = hidden / heads;
  const std::string t = std::to_string(tokens), h = std::to_string(hidden),
                    i = std::to_string(intermediate), s = std::to_string(full_length),
                    d = std::to_string(head_dim);
  return {
      {model + "/projection [" + t + "," + h + "]x[" + h + "," + h + "]^T", tokens, hidden, hidden, false},
      {model + "/ffn_in [" + t + "," + h + "]x[" + i + "," + h + "]^T", tokens, intermediate, hidden, false},
      {model + "/ffn_out [" + t + "," + i + "]x[" + h + "," + i + "]^T", tokens, hidden, intermediate, false},
      {model + "/scores " + std::to_string(batch_rows * heads) + "x[" + s + "," + d + "]x[" + s + "," + d +
           "]^T",
       full_length, full_length, head_dim, true},
  };
}

Tensor<float> random_matrix(Shape shape, std::uint64_t seed) {
  Rng rng(seed);
  Tensor<float> t(shape);
  fill_uniform(t, -1.0f, 1.0f, rng);
  return t;
}

void encoder_gemm(benchmark::State& state, const EncoderGemm& g, index_t heads) {
  set_num_threads(static_cast<int>(state.range(0)));
  const index_t count = g.attention ? batch_rows * heads : 1;
  const Tensor<float> a = random_matrix(Shape{count, g.m, g.k}, 1);
  const Tensor<float> b = random_matrix(Shape{count, g.n, g.k}, 2);
  Tensor<float> c(Shape{count, g.m, g.n});
  for (auto _ : state) {
    backend::batched_gemm(a, backend::Trans::no, b, backend::Trans::yes, c);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2e-9 * static_cast<double>(count * g.m * g.n * g.k),
                         benchmark::Counter::kIsIterationInvariantRate);
}

// warm_up: one untimed run first (once per case, not per repetition), which
// takes the first-touch page faults and the threads' start-up.
template <class F>
void register_threaded(const std::string& name, F&& function, bool warm_up = false) {
  benchmark::RegisterBenchmark(name.c_str(), std::forward<F>(function))
      ->MinWarmUpTime(warm_up ? 1e-3 : 0.0)
      ->ArgName("threads")
      ->Arg(1)
      ->Arg(2)
      ->Unit(benchmark::kMillisecond)
      ->MeasureProcessCPUTime()
      ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  const bool minilm = has_minilm();
  if (!minilm)
    std::cerr << "bench_encoder_forward: skipping MiniLM-L6, the title batches and the tokenizer: "
              << (minilm_dir() / "model.safetensors").string()
              << " not found (scripts/fetch_minilm.sh fetches it)\n";
  for (const ModelKind m : {ModelKind::minilm_l6, ModelKind::bert_base})
    for (const BatchKind b : {BatchKind::full_128, BatchKind::titles_pad128, BatchKind::titles_longest}) {
      if (!minilm && (m == ModelKind::minilm_l6 || b != BatchKind::full_128)) continue;
      // encoder_forward/... is the float32 training path; encoder_forward_fp32/...,
      // _bf16/... and _int8/... serve the same model with packed weights.
      for (const auto& [suffix, p, packed] :
           {std::tuple{"", backend::Precision::fp32, false}, std::tuple{"_fp32", backend::Precision::fp32, true},
            std::tuple{"_bf16", backend::Precision::bf16, true}, std::tuple{"_int8", backend::Precision::int8, true}})
        register_threaded(std::string("encoder_forward") + suffix + "/" + to_string(m) + "/" + to_string(b),
                          [m, b, p, packed](benchmark::State& state) { encoder_forward(state, m, b, p, packed); },
                          true);
    }
  if (minilm) register_threaded("tokenizer/encode_batch/titles_100k", tokenizer_encode_batch);
  for (const auto& [model_name, hidden, intermediate] :
       {std::tuple{"minilm_l6", index_t{384}, index_t{1536}}, std::tuple{"bert_base", index_t{768}, index_t{3072}}})
    for (const EncoderGemm& g : encoder_gemms(model_name, hidden, intermediate, 12))
      register_threaded("encoder_gemm/" + g.name,
                        [g](benchmark::State& state) { encoder_gemm(state, g, 12); });
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("cpu_backend", adaptrec::backend::cpu_backend_description());
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
