"""The peer of benchmarks/lora_step.cpp: one training step of a
MiniLM-L6-shaped BertModel in PyTorch, with Hugging Face PEFT's LoRA or full
fine-tuning, in float32 or (--precision bf16) with the forward pass under
torch.autocast("cpu", dtype=torch.bfloat16), one (mode, precision, threads)
case per process so that peak memory is the case's own.

The step is lora_step.cpp's: optimizer.zero_grad(); last_hidden_state of the
[32, 64] batch (no padding, ids from the same integer formula); mean pooling
over the attention mask; loss <pooled, R> with the same fixed R; backward;
torch.optim.AdamW(lr=1e-4, PyTorch's defaults otherwise) over the parameters
that require a gradient.
  lora: peft.get_peft_model(model, LoraConfig(r=8, lora_alpha=16,
        target_modules=["query", "value"], lora_dropout=0.0)), which freezes
        the backbone;
  full: every parameter trainable.
The model is in eval mode (dropout off, as in adaptrec) but trains. Weights:
all-MiniLM-L6-v2 from the adaptrec cache, else a BertModel of the same config
drawn with seed 0 (the "weights" field says which).

Time: the median of --steps timed steps after --warmup untimed ones (wall and
process CPU). Memory from /proc/self/status: rss_load_mib once the model,
PEFT and the optimizer exist; step_peak_mib, the peak during the steps above
it (the high-water mark is reset by writing 5 to /proc/self/clear_refs);
peak_mib, the absolute peak (ru_maxrss, read before the reset too; the
interpreter, torch and loading included).
One JSON line on stdout.

    /tmp/torch-venv/bin/python benchmarks/peers/lora_step.py --mode lora --threads 2
"""
import argparse
import json
import resource

from encoder_forward import CLS_ID, FIRST_WORD_ID, SEP_ID, minilm_dir, time_calls

BATCH_ROWS, SEQUENCE_LENGTH = 32, 64
LORA_RANK, LORA_ALPHA, LEARNING_RATE = 8, 16, 1e-4


def step_batch(torch):
    """full_batch of encoder_forward.py at length 64."""
    ids = torch.empty(BATCH_ROWS, SEQUENCE_LENGTH, dtype=torch.long)
    for r in range(BATCH_ROWS):
        for p in range(SEQUENCE_LENGTH):
            ids[r, p] = CLS_ID if p == 0 else SEP_ID if p == SEQUENCE_LENGTH - 1 else \
                FIRST_WORD_ID + (7919 * r + 104729 * p) % 28000
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids),
            "token_type_ids": torch.zeros_like(ids)}


def loss_direction(hidden, torch):
    """R of lora_step.cpp: entries in [-1, 1] / B, computed in double, rounded once."""
    values = [[((7919 * b + 104729 * h) % 2001 - 1000) / (1000.0 * BATCH_ROWS)
               for h in range(hidden)] for b in range(BATCH_ROWS)]
    return torch.tensor(values, dtype=torch.float32)


def step_flops(config, batch, seq, mode):
    """step_flops of lora_step.cpp (its header comment gives the formula)."""
    t, h, i = batch * seq, config.hidden_size, config.intermediate_size
    layers, r = config.num_hidden_layers, LORA_RANK
    linear = 2.0 * t * (4 * h * h + 2 * h * i)
    attention = 2.0 * t * 2 * seq * h
    forward = layers * (linear + attention)
    if mode == "full":
        return 3 * forward
    sites = 2 * layers
    return (forward + sites * 4.0 * t * h * r + layers * (linear + 2 * attention)
            - 3 * 2.0 * t * h * h + sites * 8.0 * t * h * r - 2 * 2.0 * t * h * r)


def status_mib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def max_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def load_model(transformers, torch):
    if (minilm_dir() / "model.safetensors").exists():
        return transformers.BertModel.from_pretrained(minilm_dir(), add_pooling_layer=False), \
            "minilm"
    torch.manual_seed(0)
    config = transformers.BertConfig(hidden_size=384, num_hidden_layers=6,
                                     num_attention_heads=12, intermediate_size=1536)
    return transformers.BertModel(config, add_pooling_layer=False), "random"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["lora", "full"], required=True)
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()

    import torch
    import transformers
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)

    model, weights = load_model(transformers, torch)
    config = model.config
    if args.mode == "lora":
        import peft
        model = peft.get_peft_model(model, peft.LoraConfig(
            r=LORA_RANK, lora_alpha=LORA_ALPHA, target_modules=["query", "value"],
            lora_dropout=0.0))
    model.eval()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=LEARNING_RATE)
    batch = step_batch(torch)
    direction = loss_direction(config.hidden_size, torch)
    mask = batch["attention_mask"].unsqueeze(-1).float()

    rss_load, load_peak = status_mib("VmRSS"), max_rss_mib()
    peak_was_reset = reset_peak_rss()
    losses = []

    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16")

    def step():
        optimizer.zero_grad()
        with autocast:  # backward outside, as PyTorch's AMP guide does it
            hidden = model(**batch).last_hidden_state
            pooled = (hidden.float() * mask).sum(1) / mask.sum(1)
            loss = (pooled * direction).sum()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    wall, cpu = time_calls(step, args.warmup, args.steps)
    peak = max(load_peak, max_rss_mib())
    gflop = step_flops(config, BATCH_ROWS, SEQUENCE_LENGTH, args.mode) * 1e-9
    print(json.dumps({
        "bench": "lora_step", "framework": "torch", "mode": args.mode,
        "precision": args.precision, "threads": args.threads,
        "weights": weights, "ms": wall, "cpu_ms": cpu, "gflop": gflop,
        "gflop_per_s": gflop / (wall * 1e-3), "trainable": sum(p.numel() for p in trainable),
        "first_loss": losses[0], "last_loss": losses[-1], "rss_load_mib": rss_load,
        "step_peak_mib": (status_mib("VmHWM") if peak_was_reset else peak) - rss_load,
        "peak_mib": peak}), flush=True)


if __name__ == "__main__":
    main()
