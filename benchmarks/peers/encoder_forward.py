"""The peers of benchmarks/encoder_forward.cpp: one inference forward
(embeddings and all layers, last_hidden_state) of a batch of 32 sequences in

  torch_fp32   PyTorch eager, float32, torch.inference_mode
  torch_bf16   the same under torch.autocast("cpu", dtype=torch.bfloat16)
  ort_fp32     ONNX Runtime, the Hugging Face BertModel exported to ONNX
  ort_int8     ONNX Runtime, that model after quantize_dynamic (int8 weights)

and the tokenizer on 100,000 titles (Hugging Face's Rust BertTokenizerFast;
the pure-Python BertTokenizer with --slow-tokenizer). Models and batches are
those of encoder_forward.cpp: all-MiniLM-L6-v2 from the adaptrec cache and a
BERT-base-shaped model (transformers' BertConfig defaults, random weights,
seed 0); full_128, titles_pad128 and titles_longest batches built by the same
integer formulas. Each result is the median of --repeats timed forwards after
--warmup untimed ones. One JSON line per result on stdout.

    /tmp/torch-venv/bin/python benchmarks/peers/encoder_forward.py --threads 1

ONNX files are exported once into --onnx-cache (default build/encoder-onnx).
"""
import argparse
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

BATCH_ROWS, FULL_LENGTH, TOKENIZER_TITLES = 32, 128, 100_000
CLS_ID, SEP_ID, FIRST_WORD_ID = 101, 102, 1996

TITLE_WORDS = [
    "Story", "Toy", "Night", "Love", "Dead", "Man", "Star", "Wars", "Return", "Lost", "City",
    "Dark", "King", "House", "Secret", "Last", "Blue", "American", "Wild", "Heart", "Time",
    "Life", "Little", "Big", "Girl", "Boy", "Street", "Money", "Father", "Summer", "Murder",
    "Ghost", "Island", "Angel", "Devil", "Dream", "Fire", "Ice", "River", "Mountain", "Road",
    "Home", "Game", "Party", "Kiss", "Shadow", "Moon", "Sun", "Empire", "Strikes", "Back",
    "Jungle", "Book", "Mission", "Impossible", "Hunt", "Red", "October", "Pulp", "Fiction",
    "Usual", "Suspects", "Braveheart", "Casablanca"]
assert len(TITLE_WORDS) == 64


def movie_title(i):
    """movie_title in encoder_forward.cpp: keep the two identical."""
    words = 1 + (7 * i + i // 5) % 4
    title = " ".join(TITLE_WORDS[(37 * i + 11 * k + 5 * (i // 64)) % 64] for k in range(words))
    if i % 13 == 5:
        title += f": Part {2 + i % 4}"
    if i % 9 == 0:
        title += ", The"
    return f"{title} ({1920 + (13 * i) % 79})"


def minilm_dir():
    if os.environ.get("ADAPTREC_MINILM"):
        return Path(os.environ["ADAPTREC_MINILM"])
    cache = os.environ.get("ADAPTREC_CACHE") or Path.home() / ".cache" / "adaptrec"
    return Path(cache) / "all-minilm-l6-v2"


def full_batch(torch):
    ids = torch.empty(BATCH_ROWS, FULL_LENGTH, dtype=torch.long)
    for r in range(BATCH_ROWS):
        for p in range(FULL_LENGTH):
            ids[r, p] = CLS_ID if p == 0 else SEP_ID if p == FULL_LENGTH - 1 else \
                FIRST_WORD_ID + (7919 * r + 104729 * p) % 28000
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids),
            "token_type_ids": torch.zeros_like(ids)}


def make_batch(case, tokenizer, torch):
    if case == "full_128":
        return full_batch(torch)
    padding = "max_length" if case == "titles_pad128" else "longest"
    encoded = tokenizer([movie_title(i) for i in range(BATCH_ROWS)], max_length=FULL_LENGTH,
                        truncation=True, padding=padding, return_tensors="pt")
    return {k: encoded[k] for k in ("input_ids", "attention_mask", "token_type_ids")}


def forward_flops(config, batch, seq):
    """forward_flops in encoder_forward.cpp: L * 2 B S (4 H^2 + 2 H I + 2 S H)."""
    h, i = config.hidden_size, config.intermediate_size
    return config.num_hidden_layers * 2.0 * batch * seq * (4 * h * h + 2 * h * i + 2 * seq * h)


def load_model(name, transformers, torch, attn_implementation=None):
    kwargs = {"attn_implementation": attn_implementation} if attn_implementation else {}
    if name == "minilm_l6":
        model = transformers.BertModel.from_pretrained(minilm_dir(), add_pooling_layer=False,
                                                       **kwargs)
    else:
        torch.manual_seed(0)
        model = transformers.BertModel(transformers.BertConfig(**kwargs), add_pooling_layer=False)
    return model.eval()


def pooled_cosine(hidden, reference, mask, torch):
    weights = mask.unsqueeze(-1).float()
    pooled = [(h * weights).sum(1) / weights.sum(1) for h in (hidden, reference)]
    return torch.nn.functional.cosine_similarity(pooled[0], pooled[1], dim=1).min().item()


def time_calls(call, warmup, repeats):
    for _ in range(warmup):
        call()
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        call()
        wall.append(1e3 * (time.perf_counter() - w0))
        cpu.append(1e3 * (time.process_time() - c0))
    return statistics.median(wall), statistics.median(cpu)


def onnx_models(name, model, cache, torch):
    """model.onnx (float32, exported from eager attention, dynamic batch and
    sequence) and model.int8.onnx (quantize_dynamic), made once per model."""
    folder = Path(cache) / name
    fp32, int8 = folder / "model.onnx", folder / "model.int8.onnx"
    if not fp32.exists():
        folder.mkdir(parents=True, exist_ok=True)

        class LastHiddenState(torch.nn.Module):
            def __init__(self, bert):
                super().__init__()
                self.bert = bert

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                                 token_type_ids=token_type_ids).last_hidden_state

        example = full_batch(torch)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        axes = {n: {0: "batch", 1: "sequence"} for n in names}
        axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        torch.onnx.export(LastHiddenState(model), tuple(example[n] for n in names), str(fp32),
                          input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)
    if not int8.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return fp32, int8


def ort_session(path, threads, ort):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def bench_encoders(args, emit):
    import torch
    import transformers
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    tokenizer = transformers.BertTokenizerFast.from_pretrained(minilm_dir())
    for name in args.models:
        model = load_model(name, transformers, torch)
        sessions = {}
        if {"ort_fp32", "ort_int8"} & set(args.backends):
            import onnxruntime as ort
            export_model = load_model(name, transformers, torch, attn_implementation="eager")
            fp32, int8 = onnx_models(name, export_model, args.onnx_cache, torch)
            sessions = {"ort_fp32": ort_session(fp32, args.threads, ort),
                        "ort_int8": ort_session(int8, args.threads, ort)}
        for case in args.cases:
            batch = make_batch(case, tokenizer, torch)
            rows, seq = batch["input_ids"].shape
            with torch.inference_mode():
                reference = model(**batch).last_hidden_state
            for backend in args.backends:
                if backend == "torch_fp32":
                    def call():
                        with torch.inference_mode():
                            return model(**batch).last_hidden_state
                elif backend == "torch_bf16":
                    def call():
                        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
                            return model(**batch).last_hidden_state
                else:
                    session, feed = sessions[backend], {k: v.numpy() for k, v in batch.items()}

                    def call():
                        return torch.from_numpy(session.run(None, feed)[0])
                wall, cpu = time_calls(call, args.warmup, args.repeats)
                # Agreement with eager float32: the largest difference in any
                # token state (padding included) and the lowest cosine between
                # mean-pooled sentence vectors, which is what a retrieval user sees.
                hidden = call().float()
                diff = (hidden - reference).abs().max().item()
                cosine = pooled_cosine(hidden, reference, batch["attention_mask"], torch)
                flops = forward_flops(model.config, rows, seq)
                emit({"bench": "encoder_forward", "model": name, "case": case,
                      "backend": backend, "threads": args.threads, "seq_len": seq,
                      "ms": wall, "cpu_ms": cpu, "items_per_s": 1e3 * rows / wall,
                      "gflop_per_s": flops * 1e-6 / wall, "max_abs_diff_vs_fp32": diff,
                      "min_pooled_cosine_vs_fp32": cosine})


def bench_tokenizer(args, emit):
    import transformers
    titles = [movie_title(i) for i in range(TOKENIZER_TITLES)]
    kinds = [("hf_fast", transformers.BertTokenizerFast)]
    if args.slow_tokenizer:
        kinds.append(("hf_slow", transformers.BertTokenizer))
    for kind, cls in kinds:
        tokenizer = cls.from_pretrained(minilm_dir())
        seq = []

        def call():
            encoded = tokenizer(titles, max_length=32, truncation=True, padding="longest")
            seq.append(len(encoded["input_ids"][0]))
        repeats = args.repeats if kind == "hf_fast" else 1
        wall, cpu = time_calls(call, 1 if kind == "hf_fast" else 0, repeats)
        emit({"bench": "tokenizer", "backend": kind, "threads": args.threads, "seq_len": seq[-1],
              "ms": wall, "cpu_ms": cpu, "items_per_s": 1e3 * TOKENIZER_TITLES / wall})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--models", default="minilm_l6,bert_base")
    parser.add_argument("--cases", default="full_128,titles_pad128,titles_longest")
    parser.add_argument("--backends", default="torch_fp32,torch_bf16,ort_fp32,ort_int8")
    parser.add_argument("--tokenizer", action="store_true", help="also time the tokenizer")
    parser.add_argument("--slow-tokenizer", action="store_true",
                        help="also the pure-Python BertTokenizer (once; slow)")
    parser.add_argument("--onnx-cache", default=str(Path(__file__).resolve().parents[2] /
                                                     "build" / "encoder-onnx"))
    args = parser.parse_args()
    for key in ("models", "cases", "backends"):
        setattr(args, key, [v for v in getattr(args, key).split(",") if v])
    if not (minilm_dir() / "model.safetensors").exists():
        sys.exit(f"encoder_forward.py: {minilm_dir() / 'model.safetensors'} not found "
                 "(scripts/fetch_minilm.sh fetches it); the title batches need its vocabulary")
    # The Rust tokenizer's pool reads this when it starts.
    os.environ["RAYON_NUM_THREADS"] = str(args.threads)

    def emit(record):
        print(json.dumps(record), flush=True)
    if args.models:
        bench_encoders(args, emit)
    if args.tokenizer:
        bench_tokenizer(args, emit)


if __name__ == "__main__":
    main()
