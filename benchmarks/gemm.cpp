// GEMM rates at the shapes of the example models, the machine's attainable
// GEMM rate (large squares) and its memory bandwidth (a STREAM triad), so that
// RESULTS.md can say how far each training step is from the hardware's limit.
//
//   bench_gemm --benchmark_counters_tabular=true
//
// Every case runs with 1 and 2 threads (the argument), set through
// adaptrec::set_num_threads as the examples' --threads does.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/core/threads.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

using adaptrec::index_t;
using adaptrec::Shape;
using adaptrec::Tensor;
using adaptrec::backend::Trans;

// C[m, n] = op(A) op(B) with op(A) [m, k] and op(B) [k, n].
// With batch > 1, `batch` independent products of that shape: one batched
// call, or (per_entry) one call per entry from a parallel loop, as attention
// ran before it was batched.
struct GemmCase {
  std::string name;
  index_t m, n, k;
  Trans ta, tb;
  index_t batch = 1;
  bool per_entry = false;
};

// The forward GEMM of Linear is x W^T (NT); its backward is dW = dy^T x (TN)
// and dx = dy W (NN). Names say which layer and which pass.
std::vector<GemmCase> model_cases() {
  const Trans N = Trans::no, T = Trans::yes;
  return {
      // Two-tower user MLP 120 -> 128 -> 64 at batch 512.
      {"two_tower/user_l0_fwd [512,120]x[128,120]^T", 512, 128, 120, N, T},
      {"two_tower/user_l0_dW [512,128]^Tx[512,120]", 128, 120, 512, T, N},
      {"two_tower/user_l0_dx [512,128]x[128,120]", 512, 120, 128, N, N},
      {"two_tower/user_l1_fwd [512,128]x[64,128]^T", 512, 64, 128, N, T},
      {"two_tower/user_l1_dW [512,64]^Tx[512,128]", 64, 128, 512, T, N},
      {"two_tower/user_l1_dx [512,64]x[64,128]", 512, 128, 64, N, N},
      // In-batch softmax logits and their two backward GEMMs.
      {"two_tower/logits [512,64]x[512,64]^T", 512, 512, 64, N, T},
      {"two_tower/logits_dq [512,512]x[512,64]", 512, 64, 512, N, N},
      {"two_tower/logits_dk [512,512]^Tx[512,64]", 512, 64, 512, T, N},
      // Full-ranking evaluation: 256 users against every item.
      {"two_tower/full_rank [256,64]x[1682,64]^T", 256, 1682, 64, N, T},
      // DCN-V2 at batch 1024: cross layer, deep MLP 112 -> 256 -> 128.
      {"dcn/cross_fwd [1024,112]x[112,112]^T", 1024, 112, 112, N, T},
      {"dcn/cross_dW [1024,112]^Tx[1024,112]", 112, 112, 1024, T, N},
      {"dcn/deep_l0_fwd [1024,112]x[256,112]^T", 1024, 256, 112, N, T},
      {"dcn/deep_l0_dW [1024,256]^Tx[1024,112]", 256, 112, 1024, T, N},
      {"dcn/deep_l0_dx [1024,256]x[256,112]", 1024, 112, 256, N, N},
      {"dcn/deep_l1_fwd [1024,256]x[128,256]^T", 1024, 128, 256, N, T},
      {"dcn/deep_l1_dW [1024,128]^Tx[1024,256]", 128, 256, 1024, T, N},
      {"dcn/deep_l1_dx [1024,128]x[128,256]", 1024, 256, 128, N, N},
      // MiniLM-L6's LoRA step (batch 32, sequence 64: 2048 tokens, hidden 384,
      // 12 heads of 32, FFN 1536). Linear forward x W^T and dx = dy W; frozen
      // weights need no dW.
      {"minilm/qkvo_fwd [2048,384]x[384,384]^T", 2048, 384, 384, N, T},
      {"minilm/ffn_in_fwd [2048,384]x[1536,384]^T", 2048, 1536, 384, N, T},
      {"minilm/ffn_out_fwd [2048,1536]x[384,1536]^T", 2048, 384, 1536, N, T},
      {"minilm/qkvo_dx [2048,384]x[384,384]", 2048, 384, 384, N, N},
      {"minilm/ffn_in_dx [2048,1536]x[1536,384]", 2048, 384, 1536, N, N},
      {"minilm/ffn_out_dx [2048,384]x[384,1536]", 2048, 1536, 384, N, N},
      // Attention's products over 32 x 12 (batch, head) pairs: scores Q K^T,
      // context P V, and backward's dP = dO V^T, dV = P^T dO.
      {"minilm/scores 384x[64,32]x[64,32]^T", 64, 64, 32, N, T, 384},
      {"minilm/scores_loop 384x[64,32]x[64,32]^T", 64, 64, 32, N, T, 384, true},
      {"minilm/context 384x[64,64]x[64,32]", 64, 32, 64, N, N, 384},
      {"minilm/context_loop 384x[64,64]x[64,32]", 64, 32, 64, N, N, 384, true},
      {"minilm/dv 384x[64,64]^Tx[64,32]", 64, 32, 64, T, N, 384},
      {"minilm/dv_loop 384x[64,64]^Tx[64,32]", 64, 32, 64, T, N, 384, true},
      // Attainable rate: large squares, where packing and threading costs vanish.
      {"square/1024^3", 1024, 1024, 1024, N, N},
      {"square/2048^3", 2048, 2048, 2048, N, N},
  };
}

Tensor<float> random_matrix(index_t rows, index_t cols, std::uint64_t seed, index_t batch = 1) {
  adaptrec::Rng rng(seed);
  Tensor<float> t(batch == 1 ? Shape{rows, cols} : Shape{batch, rows, cols});
  adaptrec::fill_uniform(t, -1.0f, 1.0f, rng);
  return t;
}

void run_gemm(benchmark::State& state, const GemmCase& c) {
  adaptrec::set_num_threads(static_cast<int>(state.range(0)));
  const bool ta = c.ta == Trans::yes, tb = c.tb == Trans::yes;
  const Tensor<float> a =
      ta ? random_matrix(c.k, c.m, 1, c.batch) : random_matrix(c.m, c.k, 1, c.batch);
  const Tensor<float> b =
      tb ? random_matrix(c.n, c.k, 2, c.batch) : random_matrix(c.k, c.n, 2, c.batch);
  Tensor<float> out(c.batch == 1 ? Shape{c.m, c.n} : Shape{c.batch, c.m, c.n});
  for (auto _ : state) {
    if (c.batch == 1) {
      adaptrec::backend::gemm(a, c.ta, b, c.tb, out);
    } else if (c.per_entry) {
      const index_t sa = c.m * c.k, sb = c.k * c.n, sc = c.m * c.n;
      adaptrec::backend::cpu::parallel_for(c.batch, sc * c.k, [&](index_t i) {
        adaptrec::backend::cpu::gemm(a.data() + i * sa, ta, b.data() + i * sb, tb,
                                     out.data() + i * sc, c.m, c.n, c.k, 1.0f, 0.0f);
      });
    } else {
      adaptrec::backend::batched_gemm(a, c.ta, b, c.tb, out);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(c.batch * c.m * c.n * c.k),
                                                benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::OneK::kIs1000);
}

// STREAM triad a = b + s c (McCalpin, 1995): the bandwidth floor for
// element-wise passes and optimizer updates. Bytes counted as STREAM does: two
// reads and one write per element.
void stream_triad(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  adaptrec::set_num_threads(threads);
  const index_t n = state.range(1);
  std::vector<float> a(static_cast<std::size_t>(n)), b(a.size(), 1.0f), c(a.size(), 2.0f);
  const float s = 3.0f;
  // First touch by the threads that will use the pages.
#pragma omp parallel for schedule(static) num_threads(threads)
  for (index_t i = 0; i < n; ++i) a[static_cast<std::size_t>(i)] = 0.0f;
  for (auto _ : state) {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (index_t i = 0; i < n; ++i) {
      const auto j = static_cast<std::size_t>(i);
      a[j] = b[j] + s * c[j];
    }
    benchmark::DoNotOptimize(a.data());
    benchmark::ClobberMemory();
  }
  state.counters["bytes/s"] =
      benchmark::Counter(3.0 * sizeof(float) * static_cast<double>(n),
                         benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::OneK::kIs1000);
}

}  // namespace

int main(int argc, char** argv) {
  for (const GemmCase& c : model_cases())
    benchmark::RegisterBenchmark(("gemm/" + c.name).c_str(), run_gemm, c)
        ->ArgName("threads")
        ->Arg(1)
        ->Arg(2)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  // 3 x 128 MiB, twelve times the 32 MiB L3 of the measured machine (DRAM),
  // and 3 x 2 MiB, the size of a training step's parameters and optimizer
  // state (last-level cache).
  benchmark::RegisterBenchmark("stream_triad", stream_triad)
      ->ArgNames({"threads", "elements"})
      ->Args({1, index_t{1} << 25})
      ->Args({2, index_t{1} << 25})
      ->Args({1, index_t{1} << 19})
      ->Args({2, index_t{1} << 19})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
