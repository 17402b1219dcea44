#!/usr/bin/env python3
"""Checks examples/embed_text against Hugging Face transformers' float32 output.

Runs the embed_text program on tests/reference/vectors/minilm_sentences.txt with
the real all-MiniLM-L6-v2 checkpoint and compares every element with the
committed reference vectors (minilm_embeddings.safetensors, made by
make_vectors.py). Standard library only, so CI needs neither numpy nor torch.

    compare_embed_text.py EMBED_TEXT MODEL_DIR [--tolerance 1e-4]

Exit status 0 when every element of every configuration is within the
tolerance; 1 with the worst sentence named otherwise; 77 with a printed reason
when MODEL_DIR lacks the weights outside CI (ctest treats 77 as skipped).
"""
import argparse
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

VECTORS = Path(__file__).resolve().parent / "vectors"


def read_safetensors(path):
    """Returns {name: (shape, flat list of floats)} for the F32/F64 tensors."""
    raw = path.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + header_len])
    body = raw[8 + header_len:]
    formats = {"F32": "f", "F64": "d"}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__" or entry["dtype"] not in formats:
            continue
        begin, end = entry["data_offsets"]
        code = formats[entry["dtype"]]
        count = (end - begin) // struct.calcsize(code)
        out[name] = (entry["shape"], struct.unpack(f"<{count}{code}", body[begin:end]))
    return out


def run_embed_text(program, model, sentences, options):
    result = subprocess.run([program, "--model", str(model), *options], input=sentences,
                            capture_output=True, check=False)
    if result.returncode != 0:
        sys.exit(f"embed_text {' '.join(options)} failed ({result.returncode}): "
                 f"{result.stderr.decode(errors='replace')}")
    return [[float(x) for x in line.split()] for line in result.stdout.decode().splitlines()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("embed_text")
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()

    if not (args.model_dir / "model.safetensors").exists():
        reason = f"{args.model_dir / 'model.safetensors'} not found (run scripts/fetch_minilm.sh)"
        if os.environ.get("CI") == "true":
            sys.exit("error: " + reason)
        print("skipped: " + reason)
        sys.exit(77)

    sentences_file = VECTORS / "minilm_sentences.txt"
    sentences = sentences_file.read_bytes()
    texts = sentences.decode().splitlines()
    reference = read_safetensors(VECTORS / "minilm_embeddings.safetensors")

    # (options, reference tensor): both poolings, a short truncation, and batch
    # sizes that pad the same sentence differently.
    configurations = [
        (["--pooling", "mean", "--max-len", "128", "--batch", "32"], "mean_pooled"),
        (["--pooling", "mean", "--max-len", "128", "--batch", "1"], "mean_pooled"),
        (["--pooling", "cls", "--max-len", "128", "--batch", "7"], "cls_pooled"),
        (["--pooling", "mean", "--max-len", "16", "--batch", "5"], "mean_pooled_max_len_16"),
    ]
    failed = False
    for options, name in configurations:
        shape, flat = reference[name]
        rows, dim = shape
        got = run_embed_text(args.embed_text, args.model_dir, sentences, options)
        if len(got) != rows or any(len(row) != dim for row in got):
            sys.exit(f"embed_text {' '.join(options)}: expected {rows} lines of {dim} numbers")
        worst, worst_row = 0.0, 0
        for r in range(rows):
            error = max(abs(got[r][c] - flat[r * dim + c]) for c in range(dim))
            if error > worst:
                worst, worst_row = error, r
        verdict = "ok" if worst <= args.tolerance else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{verdict}: {' '.join(options)} vs {name}: max abs error {worst:.3g} "
              f"(worst sentence {worst_row + 1}: {texts[worst_row][:60]!r})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
