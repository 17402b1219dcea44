// One training step of a MiniLM-L6-shaped BERT encoder, LoRA against full
// fine-tuning (issue 8), in float32 and in bf16 mixed precision (issue 9:
// `<mode>_bf16` runs forward and backward inside a bf16
// backend::ComputePrecisionScope, the peer under torch.autocast("cpu",
// dtype=torch.bfloat16); weights, gradients and AdamW state stay float32). benchmarks/peers/lora_step.py runs the same step
// in PyTorch with Hugging Face PEFT, and run_lora_peers.sh puts both side by
// side, one process per (framework, mode, threads) so that peak memory is the
// case's own.
//
//   bench_lora_step --benchmark_filter='lora/threads:2$' --warmup=3 --steps=10
//                   --benchmark_counters_tabular=true
//
// The step: optimizer.zero_grad(); hidden = bert.forward(batch) [32, 64, 384];
// mean pooling over the attention mask; loss L = <pooled, R> with a fixed R;
// backward; AdamW (lr 1e-4, weight decay 0.01, PyTorch's defaults otherwise)
// over the trainable parameters only, as torch.optim.AdamW is given them.
//   lora: rank 8, alpha 16, dropout 0 on query and value of all 6 layers, the
//         backbone frozen (peft::freeze_backbone);
//   full: every parameter trainable, embeddings included.
// Dropout is off in both modes and both programs (eval-mode dropout,
// training gradients), so the two programs compute the same function and
// their first-step losses must agree.
// Weights: all-MiniLM-L6-v2 from the adaptrec cache ($ADAPTREC_MINILM, as
// tests/support/models.hpp finds it), else a randomly initialised model of the
// same config (the label says which). The batch: [CLS] w ... w [SEP], 64 real
// tokens per row, no padding, ids from the integer formula of
// encoder_forward.cpp's full_batch; R[b, h] from another integer formula.
//
// Time: `warmup` untimed steps, then `steps` timed ones; median_ms and
// median_cpu_ms (process CPU time, all threads) are their medians (the
// reported real_time and cpu_time are means).
// Memory (Linux /proc/self/status): rss_load_MiB after the model, the method
// and the optimizer exist; the high-water mark is then reset (writing 5 to
// /proc/self/clear_refs) so step_peak_MiB = peak RSS during the steps minus
// rss_load_MiB; peak_MiB is the absolute peak (getrusage ru_maxrss, read
// before the reset too, so loading counts).
//
// FLOPs per step (step_flops below): 2 m n k per [m, k] x [k, n] product,
// T = B S tokens, L layers, hidden H, intermediate I, rank r:
//   forward, per layer  linear 2T (4H^2 + 2HI), attention QK^T and PV 4 B S^2 H,
//                       plus 4 T H r per LoRA site (x A^T, then B);
//   full backward       2x the forward (dX and dW of every GEMM, both
//                       gradients of both attention products);
//   LoRA backward       the linear layers' dX only (no dW for frozen
//                       weights), except layer 0's query, key and value,
//                       whose input needs no gradient; attention 2x; per LoRA
//                       site dB, d(xA^T), dA and dX: 8 T H r (6 T H r in layer 0).
// That is the work a step needs, and what adaptrec does (Bert::backward skips
// the input gradient of the lowest layer when nothing below it trains).
// Element-wise work and the optimizer are left out. MiniLM-L6 at [32, 64]: full 134.08 GFLOP,
// LoRA 89.67 GFLOP.
#include <adaptrec/backend/compute_precision.hpp>
#include <adaptrec/backend/cpu_backend.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/core/threads.hpp>
#include <adaptrec/encoders/bert.hpp>
#include <adaptrec/encoders/bert_pretrained.hpp>
#include <adaptrec/optim/adamw.hpp>
#include <adaptrec/peft/freezing.hpp>
#include <adaptrec/peft/lora.hpp>

#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace adaptrec;

constexpr index_t batch_rows = 32, sequence_length = 64;
// bert-base-uncased (and MiniLM) vocabulary: [CLS], [SEP], "the".
constexpr index_t cls_id = 101, sep_id = 102, first_word_id = 1996;
constexpr index_t lora_rank = 8;
constexpr double lora_alpha = 16;
constexpr float learning_rate = 1e-4f;

int warmup_steps = 3, timed_steps = 10;

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

// all-MiniLM-L6-v2's config.json: the fallback model's shape.
encoders::BertConfig minilm_l6_config() {
  encoders::BertConfig c;
  c.hidden_size = 384;
  c.num_hidden_layers = 6;
  c.num_attention_heads = 12;
  c.intermediate_size = 1536;
  return c;
}

// Real weights when cached, else random ones of the same shape (seed 0).
encoders::Bert<float> make_encoder() {
  if (has_minilm()) return encoders::load_bert<float>(minilm_dir(), {.with_pooler = false});
  Rng rng(0);
  return encoders::Bert<float>(minilm_l6_config(), rng, false);
}

// full_batch of encoder_forward.cpp at length 64; lora_step.py's too.
text::TokenBatch step_batch() {
  const Shape shape{batch_rows, sequence_length};
  text::TokenBatch batch{Tensor<index_t>(shape), Tensor<index_t>(shape),
                         Tensor<index_t>::full(shape, index_t{1})};
  for (index_t r = 0; r < batch_rows; ++r)
    for (index_t p = 0; p < sequence_length; ++p)
      batch.input_ids[r * sequence_length + p] =
          p == 0                     ? cls_id
          : p == sequence_length - 1 ? sep_id
                                     : first_word_id + (7919 * r + 104729 * p) % 28000;
  return batch;
}

// The loss L = <pooled, R> is linear, so dL/dpooled = R. Entries in
// [-1, 1] / B, computed in double and rounded once, as lora_step.py does.
Tensor<float> loss_direction(index_t hidden) {
  Tensor<float> r(Shape{batch_rows, hidden});
  for (index_t b = 0; b < batch_rows; ++b)
    for (index_t h = 0; h < hidden; ++h)
      r[b * hidden + h] = static_cast<float>(
          static_cast<double>((7919 * b + 104729 * h) % 2001 - 1000) / (1000.0 * batch_rows));
  return r;
}

enum class Mode { lora, full };

const char* to_string(Mode mode) { return mode == Mode::lora ? "lora" : "full"; }

// The header comment's formula.
double step_flops(const encoders::BertConfig& c, index_t batch, index_t seq, Mode mode) {
  const double t = static_cast<double>(batch * seq), h = static_cast<double>(c.hidden_size),
               i = static_cast<double>(c.intermediate_size), s = static_cast<double>(seq),
               layers = static_cast<double>(c.num_hidden_layers),
               r = static_cast<double>(lora_rank);
  const double linear = 2.0 * t * (4.0 * h * h + 2.0 * h * i);
  const double attention = 2.0 * t * 2.0 * s * h;
  const double forward = layers * (linear + attention);
  if (mode == Mode::full) return 3.0 * forward;
  const double sites = 2.0 * layers;  // query and value
  const double lora_forward = sites * 4.0 * t * h * r;
  const double lora_backward = sites * 8.0 * t * h * r - 2.0 * 2.0 * t * h * r;
  const double layer0_qkv_input_grad = 3.0 * 2.0 * t * h * h;
  return forward + lora_forward + layers * (linear + 2.0 * attention) - layer0_qkv_input_grad +
         lora_backward;
}

double wall_clock_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// All threads' CPU time, as Python's time.process_time.
double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return 1e3 * static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_nsec);
}

// statistics.median's: the mean of the two middle values of an even count.
double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return (values[(n - 1) / 2] + values[n / 2]) / 2;
}

// Resident set sizes from /proc/self/status, in MiB (0 where unreadable).
double status_mib(std::string_view key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with(key) && line.size() > key.size() && line[key.size()] == ':')
      return std::strtod(line.c_str() + key.size() + 1, nullptr) / 1024.0;  // kB
  return 0;
}

double max_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // kB on Linux
}

// Sets VmHWM back to the current RSS (Linux >= 4.0), so that it records the
// peak of what follows. False where /proc forbids it.
bool reset_peak_rss() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
  clear_refs.flush();
  return static_cast<bool>(clear_refs);
}

std::vector<NamedParameter<float>> trainable_parameters(encoders::Bert<float>& bert) {
  std::vector<NamedParameter<float>> trainable;
  for (const NamedParameter<float>& p : collect_parameters(bert))
    if (p.parameter->trainable) trainable.push_back(p);
  return trainable;
}

void lora_step(benchmark::State& state, Mode mode, backend::Precision precision) {
  set_num_threads(static_cast<int>(state.range(0)));
  encoders::Bert<float> bert = make_encoder();
  Rng rng(42);
  std::unique_ptr<peft::Lora<float>> lora;
  if (mode == Mode::lora) {
    peft::LoraOptions options;  // query and value of every layer by default
    options.rank = lora_rank;
    options.alpha = lora_alpha;
    options.dropout = 0;
    lora = std::make_unique<peft::Lora<float>>(bert, options, rng);
    lora->attach(bert);
    peft::freeze_backbone(bert, *lora);
  }
  bert.eval();
  const auto trainable = trainable_parameters(bert);
  std::size_t trainable_count = 0;
  for (const NamedParameter<float>& p : trainable)
    trainable_count += static_cast<std::size_t>(p.parameter->size());
  optim::AdamW<float> optimizer(trainable, {.learning_rate = learning_rate});
  const text::TokenBatch batch = step_batch();
  const Tensor<float> direction = loss_direction(bert.hidden_size());

  const double rss_load = status_mib("VmRSS"), load_peak = max_rss_mib();
  const bool peak_was_reset = reset_peak_rss();
  double first_loss = 0, loss = 0;
  const auto step = [&] {
    optimizer.zero_grad();
    double value = 0;
    {
      backend::ComputePrecisionScope scope(precision);
      const Tensor<float> hidden = bert.forward(batch);
      const Tensor<float> pooled = bert.pool(hidden, batch, encoders::Pooling::mean);
      for (index_t k = 0; k < pooled.size(); ++k)
        value += static_cast<double>(pooled[k]) * static_cast<double>(direction[k]);
      bert.backward(bert.pool_backward(direction));
    }
    optimizer.step();
    return value;
  };
  for (int s = 0; s < warmup_steps; ++s) {
    loss = step();
    if (s == 0) first_loss = loss;
  }
  std::vector<double> wall_ms, cpu_ms;
  for (auto _ : state) {
    const double wall_start = wall_clock_ms(), cpu_start = process_cpu_ms();
    loss = step();
    wall_ms.push_back(wall_clock_ms() - wall_start);
    cpu_ms.push_back(process_cpu_ms() - cpu_start);
    if (warmup_steps == 0 && wall_ms.size() == 1) first_loss = loss;
  }
  const double median_ms = median(wall_ms);
  const double gflop = step_flops(bert.config(), batch_rows, sequence_length, mode) * 1e-9;

  state.SetLabel(std::string(has_minilm() ? "weights=minilm" : "weights=random") +
                 (peak_was_reset ? "" : ",step_peak=since_start"));
  state.counters["median_ms"] = median_ms;
  state.counters["median_cpu_ms"] = median(cpu_ms);
  state.counters["GFLOP"] = gflop;
  state.counters["GFLOP/s"] = gflop / (median_ms * 1e-3);
  state.counters["trainable"] = static_cast<double>(trainable_count);
  state.counters["first_loss"] = first_loss;
  state.counters["last_loss"] = loss;
  state.counters["rss_load_MiB"] = rss_load;
  state.counters["step_peak_MiB"] =
      (peak_was_reset ? status_mib("VmHWM") : max_rss_mib()) - rss_load;
  state.counters["peak_MiB"] = std::max(load_peak, max_rss_mib());
}

// Reads --warmup=N and --steps=N from what benchmark::Initialize left.
bool parse_own_flags(int argc, char** argv) {
  for (int a = 1; a < argc; ++a) {
    const std::string_view arg = argv[a];
    int* target = arg.starts_with("--warmup=")  ? &warmup_steps
                  : arg.starts_with("--steps=") ? &timed_steps
                                                : nullptr;
    if (!target) {
      std::cerr << "bench_lora_step: unrecognized argument " << arg
                << " (own flags: --warmup=N, --steps=N)\n";
      return false;
    }
    *target = std::atoi(argv[a] + arg.find('=') + 1);
  }
  if (warmup_steps < 0 || timed_steps < 1) {
    std::cerr << "bench_lora_step: need --warmup >= 0 and --steps >= 1\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("cpu_backend", adaptrec::backend::cpu_backend_description());
  if (!parse_own_flags(argc, argv)) return 1;
  if (!has_minilm())
    std::cerr << "bench_lora_step: " << (minilm_dir() / "model.safetensors").string()
              << " not found (scripts/fetch_minilm.sh fetches it); timing a randomly "
                 "initialised model of the same config\n";
  using backend::Precision;
  for (const Precision precision : {Precision::fp32, Precision::bf16})
    for (const Mode mode : {Mode::lora, Mode::full}) {
      const std::string name = std::string("lora_step/minilm_l6/") + to_string(mode) +
                               (precision == Precision::bf16 ? "_bf16" : "");
      benchmark::RegisterBenchmark(name.c_str(),
                                   [mode, precision](benchmark::State& state) {
                                     lora_step(state, mode, precision);
                                   })
          ->ArgName("threads")
          ->Arg(1)
          ->Arg(2)
          ->Iterations(timed_steps)
          ->Unit(benchmark::kMillisecond)
          ->MeasureProcessCPUTime()
          ->UseRealTime();
    }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
