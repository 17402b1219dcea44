#!/usr/bin/env python3
"""Writes the reference vectors the C++ tests compare against (tests/reference/vectors).

Everything here comes from Hugging Face transformers, the implementation adaptrec
must match: the slow Python BertTokenizer for token ids, BertModel and
BertForMaskedLM (eager attention, eval mode) for activations, losses and
gradients. The output is deterministic (fixed seeds, fixed texts, one torch
thread): with the versions pinned in requirements.txt a rerun rewrites every
file byte for byte. The C++ tests read only these files; they never run Python.

    python tests/reference/make_vectors.py [--out DIR] [--minilm DIR]
"""
import argparse
import collections
import json
import os
import shutil
import string
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import BertConfig, BertForMaskedLM, BertModel, BertTokenizer, BertTokenizerFast
from transformers.models.bert.tokenization_bert import BasicTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from texts import (BATCH_MAX_LENGTH, BATCH_TEXTS, CHECKPOINT_PAIRS, CHECKPOINT_SINGLES,  # noqa: E402
                   MINILM_SENTENCES, PAIRS, SINGLE_TEXTS, TRUNCATED)

GENERATOR = "tests/reference/make_vectors.py"
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
SEED = 20240611


def provenance():
    # One key only: safetensors writes metadata in hash-map order, so several keys
    # would make byte-identical regeneration impossible.
    return {"generator": f"{GENERATOR} (transformers {transformers.__version__}, torch {torch.__version__})"}


def say(message):
    print(message, flush=True)


# --------------------------------------------------------------------------- vocab

def build_tiny_cased_vocab():
    """A small cased WordPiece vocabulary: specials, every printable ASCII
    character, a set of accented Latin, Greek, Cyrillic, kana and CJK characters
    (alone and as `##` continuations), the frequent words of the test texts and a
    few common English suffixes. Small enough to keep the random checkpoints tiny,
    rich enough that most test words split into several pieces instead of [UNK]."""
    singles = [c for c in string.ascii_letters + string.digits + string.punctuation]
    extra_letters = list("àáâäãåæçèéêëìíîïñòóôöõøœùúûüýÿßřšžłęąńśźżðþ"
                         "ÀÁÂÄÅÆÇÉÈÊÖØŒÜÞÐ"
                         "αβγδεημοσςκλπρ" "авеикмнорстяёй"
                         "かなのにをはがとカタナテキスト")
    cjk = list("我喜欢看电影特别是科幻片推荐系统使用深度学习模型日本語東京行中文和")
    continuations = ["##" + c for c in string.ascii_letters + string.digits] + \
                    ["##" + c for c in extra_letters]

    basic = BasicTokenizer(do_lower_case=False, tokenize_chinese_chars=True, strip_accents=None)
    counts = collections.Counter()
    for text in all_texts():
        counts.update(w for w in basic.tokenize(text)
                      if len(w) >= 2 and w.isascii() and w.isalpha())
    frequent = sorted((w for w, n in counts.items() if n >= 2), key=lambda w: (-counts[w], w))[:160]
    suffixes = ["##s", "##es", "##ed", "##ing", "##er", "##ers", "##ly", "##tion", "##ment",
                "##ness", "##able", "##al", "##ic", "##ian", "##ist", "##ity", "##ous", "##en"]

    vocab = []
    for token in SPECIAL_TOKENS + singles + extra_letters + cjk + continuations + frequent + suffixes:
        if token not in vocab:
            vocab.append(token)
    return vocab


def all_texts():
    texts = list(SINGLE_TEXTS) + list(BATCH_TEXTS) + list(MINILM_SENTENCES) + list(CHECKPOINT_SINGLES)
    for a, b in PAIRS + CHECKPOINT_PAIRS:
        texts += [a, b]
    for text, text_b, _ in TRUNCATED:
        texts += [text] + ([text_b] if text_b is not None else [])
    return texts


# ----------------------------------------------------------------------- tokenizer

def tokenizer_vectors(slow, fast, vocab_label):
    basic = slow.basic_tokenizer
    disagreements = []

    def check(label, slow_ids, fast_ids):
        if slow_ids != fast_ids and label not in disagreements:
            disagreements.append(label)

    single = []
    for text in SINGLE_TEXTS:
        ids = slow(text, add_special_tokens=True)["input_ids"]
        check(text, ids, fast(text, add_special_tokens=True)["input_ids"])
        single.append({"text": text, "tokens": slow.convert_ids_to_tokens(ids), "ids": ids})

    pairs = []
    for a, b in PAIRS:
        enc = slow(a, b)
        check(a + " ||| " + b, enc["input_ids"], fast(a, b)["input_ids"])
        pairs.append({"text_a": a, "text_b": b, "ids": enc["input_ids"],
                      "token_type_ids": enc["token_type_ids"]})

    truncated = []
    for text, text_b, max_length in TRUNCATED:
        kwargs = dict(truncation="longest_first", max_length=max_length)
        enc = slow(text, text_b, **kwargs)
        fast_enc = fast(text, text_b, **kwargs)
        label = text if text_b is None else text + " ||| " + text_b
        check(label, enc["input_ids"], fast_enc["input_ids"])
        truncated.append({"text": text, "text_b": text_b, "max_length": max_length,
                          "ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"]})

    kwargs = dict(padding="longest", truncation=True, max_length=BATCH_MAX_LENGTH)
    enc = slow(list(BATCH_TEXTS), **kwargs)
    fast_enc = fast(list(BATCH_TEXTS), **kwargs)
    for text, s, f in zip(BATCH_TEXTS, enc["input_ids"], fast_enc["input_ids"]):
        check(text, s, f)
    batch = {"texts": list(BATCH_TEXTS), "max_length": BATCH_MAX_LENGTH,
             "input_ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"],
             "attention_mask": enc["attention_mask"]}

    return {"generator": GENERATOR, "transformers": transformers.__version__, "vocab": vocab_label,
            "options": {"do_lower_case": bool(basic.do_lower_case), "strip_accents": basic.strip_accents,
                        "tokenize_chinese_chars": bool(basic.tokenize_chinese_chars)},
            "single": single, "pairs": pairs, "truncated": truncated, "batch": batch,
            "fast_tokenizer_disagreements": disagreements}


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=1)
        f.write("\n")
    say(f"wrote {path} ({os.path.getsize(path)} bytes)")


def write_tokenizers(out, minilm, tiny_vocab_path):
    minilm_vocab = os.path.join(minilm, "vocab.txt")
    cases = [
        ("tokenizer_minilm.json", "minilm",
         BertTokenizer.from_pretrained(minilm), BertTokenizerFast.from_pretrained(minilm)),
        ("tokenizer_uncased_keep_accents.json", "minilm",
         BertTokenizer(minilm_vocab, do_lower_case=True, strip_accents=False, tokenize_chinese_chars=True),
         BertTokenizerFast(minilm_vocab, do_lower_case=True, strip_accents=False, tokenize_chinese_chars=True)),
        ("tokenizer_cased_tiny.json", "tiny_cased_vocab.txt",
         BertTokenizer(tiny_vocab_path, do_lower_case=False, strip_accents=None, tokenize_chinese_chars=True),
         BertTokenizerFast(tiny_vocab_path, do_lower_case=False, strip_accents=None,
                           tokenize_chinese_chars=True)),
    ]
    for name, label, slow, fast in cases:
        vectors = tokenizer_vectors(slow, fast, label)
        write_json(os.path.join(out, name), vectors)
        for text in vectors["fast_tokenizer_disagreements"]:
            say(f"  fast tokenizer disagrees on {text!r}")


# ----------------------------------------------------------------- random models

def randomize(model, generator):
    """Weights far from HF's N(0, 0.02) init so that a wrong formula, a missing
    bias or a swapped transpose shows up as an O(1) error: every weight and bias
    N(0, 0.2), LayerNorm scales N(1, 0.1). Tied tensors appear once in
    named_parameters and are drawn once, so the tie survives."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=generator, dtype=torch.float64))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=generator, dtype=torch.float64))


def encode_inputs(tokenizer, pairs, singles, max_length):
    if pairs:
        enc = tokenizer([a for a, _ in pairs], [b for _, b in pairs], padding="longest",
                        truncation="longest_first", max_length=max_length, return_tensors="pt")
    else:
        enc = tokenizer(list(singles), padding="longest", truncation=True, max_length=max_length,
                        return_tensors="pt")
    return enc["input_ids"], enc["token_type_ids"], enc["attention_mask"]


def poolings(hidden, attention_mask):
    # sentence-transformers' mean pooling: masked sum over the count of real tokens.
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * mask).sum(1) / torch.clamp(mask.sum(1), min=1e-9)
    return mean, hidden[:, 0]


def encoder_outputs(model, input_ids, token_type_ids, attention_mask, suffix):
    bert = model.bert if isinstance(model, BertForMaskedLM) else model
    with torch.no_grad():
        out = bert(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)
    mean, cls = poolings(out.last_hidden_state, attention_mask)
    tensors = {"last_hidden_state" + suffix: out.last_hidden_state, "mean_pooled" + suffix: mean,
               "cls_pooled" + suffix: cls}
    if out.pooler_output is not None:
        tensors["pooler_output" + suffix] = out.pooler_output
    return tensors


def mlm_labels_for(input_ids, attention_mask, generator):
    """About 15% of the real (non-special, non-padding) positions get a label, as
    in BERT's masked-LM objective (Devlin et al. 2019, section 3.1); at those
    positions the input becomes [MASK] so its embedding row is exercised too."""
    special = torch.zeros_like(input_ids, dtype=torch.bool)
    for token_id in range(len(SPECIAL_TOKENS)):
        special |= input_ids == token_id
    candidates = (attention_mask == 1) & ~special
    chosen = (torch.rand(input_ids.shape, generator=generator) < 0.15) & candidates
    for row in range(input_ids.shape[0]):  # every row contributes at least one label
        if not chosen[row].any():
            chosen[row, candidates[row].nonzero()[0, 0]] = True
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))
    masked_inputs = torch.where(chosen, torch.full_like(input_ids, SPECIAL_TOKENS.index("[MASK]")), input_ids)
    return masked_inputs, labels


def mlm_outputs(model, input_ids, token_type_ids, attention_mask, labels, suffix, with_grads):
    model.zero_grad(set_to_none=True)
    out = model(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask,
                labels=labels)
    tensors = {"mlm_logits" + suffix: out.logits.detach(), "mlm_loss" + suffix: out.loss.detach().reshape(1)}
    if with_grads:
        out.loss.backward()
        for name, p in model.named_parameters():
            tensors["grad." + name] = p.grad.detach().clone()
    return tensors


def write_random_checkpoint(out, spec, vocab, vocab_path, tokenizer, generator):
    folder = os.path.join(out, spec["name"])
    os.makedirs(folder, exist_ok=True)
    config = BertConfig(vocab_size=len(vocab), pad_token_id=0, hidden_dropout_prob=0.1,
                        attention_probs_dropout_prob=0.1, **spec["config"])
    config._attn_implementation = "eager"
    if spec["kind"] == "masked_lm":
        model = BertForMaskedLM(config)
    else:
        model = BertModel(config, add_pooling_layer=spec["pooler"])
    randomize(model, generator)
    model.eval()
    model.save_pretrained(folder, safe_serialization=True)
    shutil.copyfile(vocab_path, os.path.join(folder, "vocab.txt"))

    input_ids, token_type_ids, attention_mask = encode_inputs(
        tokenizer, spec.get("pairs"), spec.get("singles"), spec["max_length"])
    if config.type_vocab_size == 1:
        token_type_ids = torch.zeros_like(token_type_ids)
    tensors = {}
    if spec["kind"] == "masked_lm":
        input_ids, labels = mlm_labels_for(input_ids, attention_mask, generator)
        tensors["mlm_labels"] = labels
    tensors.update(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)

    tensors.update(encoder_outputs(model, input_ids, token_type_ids, attention_mask, "_f32"))
    if spec["kind"] == "masked_lm":
        tensors.update(mlm_outputs(model, input_ids, token_type_ids, attention_mask, labels, "_f32", False))
    model.double()
    tensors.update(encoder_outputs(model, input_ids, token_type_ids, attention_mask, ""))
    if spec["kind"] == "masked_lm":
        tensors.update(mlm_outputs(model, input_ids, token_type_ids, attention_mask, labels, "", True))
        check_grads_cover_checkpoint(folder, tensors)

    path = os.path.join(folder, "expected.safetensors")
    save_file({k: v.contiguous() for k, v in sorted(tensors.items())}, path,
              metadata=provenance())
    say(f"wrote {folder}/ (config.json, model.safetensors, vocab.txt, expected.safetensors: "
        f"{len(tensors)} tensors, inputs {list(input_ids.shape)})")


def check_grads_cover_checkpoint(folder, tensors):
    from safetensors import safe_open
    with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
        stored = set(f.keys())
    graded = {k[len("grad."):] for k in tensors if k.startswith("grad.")}
    if stored != graded:
        raise SystemExit(f"{folder}: gradient names {sorted(graded ^ stored)} differ from model.safetensors")


RANDOM_CHECKPOINTS = [
    {"name": "random_bert_small", "kind": "base", "pooler": True, "pairs": CHECKPOINT_PAIRS[:4], "max_length": 14,
     "config": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                    max_position_embeddings=64, type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12)},
    {"name": "random_bert_prefixed", "kind": "masked_lm", "pairs": CHECKPOINT_PAIRS[1:], "max_length": 13,
     "config": dict(hidden_size=48, num_hidden_layers=3, num_attention_heads=3, intermediate_size=96,
                    max_position_embeddings=64, type_vocab_size=2, hidden_act="gelu_new", layer_norm_eps=1e-5)},
    {"name": "random_bert_nopooler", "kind": "base", "pooler": False, "singles": CHECKPOINT_SINGLES,
     "max_length": 12,
     "config": dict(hidden_size=24, num_hidden_layers=1, num_attention_heads=2, intermediate_size=48,
                    max_position_embeddings=32, type_vocab_size=1, hidden_act="relu", layer_norm_eps=1e-6)},
]


# ------------------------------------------------------------------------ MiniLM

def write_minilm(out, minilm):
    for sentence in MINILM_SENTENCES:
        if not sentence or "\n" in sentence or "\r" in sentence or sentence != sentence.strip():
            raise SystemExit(f"MiniLM sentence {sentence!r} would not survive one-per-line storage")
    with open(os.path.join(out, "minilm_sentences.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(MINILM_SENTENCES) + "\n")
    say(f"wrote {out}/minilm_sentences.txt ({len(MINILM_SENTENCES)} lines)")

    tokenizer = BertTokenizer.from_pretrained(minilm)
    model = BertModel.from_pretrained(minilm, attn_implementation="eager").eval()

    def embed(max_length):
        enc = tokenizer(list(MINILM_SENTENCES), padding="longest", truncation=True, max_length=max_length,
                        return_tensors="pt")
        with torch.no_grad():
            hidden = model(**enc).last_hidden_state
        return enc, poolings(hidden, enc["attention_mask"])

    enc, (mean, cls) = embed(128)
    _, (mean16, _) = embed(16)
    tensors = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
               "token_type_ids": enc["token_type_ids"], "mean_pooled": mean, "cls_pooled": cls,
               "mean_pooled_max_len_16": mean16}
    model.double()
    _, (mean64, cls64) = embed(128)
    tensors.update(mean_pooled_f64=mean64, cls_pooled_f64=cls64)
    path = os.path.join(out, "minilm_embeddings.safetensors")
    save_file({k: v.contiguous() for k, v in sorted(tensors.items())}, path,
              metadata=provenance())
    say(f"wrote {path} (N={enc['input_ids'].shape[0]}, S={enc['input_ids'].shape[1]}, "
        f"{os.path.getsize(path)} bytes)")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(here, "vectors"))
    parser.add_argument("--minilm", default=os.path.expanduser("~/.cache/adaptrec/all-minilm-l6-v2"))
    args = parser.parse_args()

    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)  # a fixed summation order for the float32 outputs
    transformers.logging.set_verbosity_error()
    os.makedirs(args.out, exist_ok=True)
    say(f"transformers {transformers.__version__}, torch {torch.__version__}, writing to {args.out}")

    vocab = build_tiny_cased_vocab()
    vocab_path = os.path.join(args.out, "tiny_cased_vocab.txt")
    with open(vocab_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(vocab) + "\n")
    say(f"wrote {vocab_path} ({len(vocab)} tokens)")

    write_tokenizers(args.out, args.minilm, vocab_path)

    tiny = BertTokenizer(vocab_path, do_lower_case=False, strip_accents=None, tokenize_chinese_chars=True)
    generator = torch.Generator().manual_seed(SEED)
    for spec in RANDOM_CHECKPOINTS:
        write_random_checkpoint(args.out, spec, vocab, vocab_path, tiny, generator)

    write_minilm(args.out, args.minilm)


if __name__ == "__main__":
    main()
