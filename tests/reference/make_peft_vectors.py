#!/usr/bin/env python3
"""Writes the PEFT reference vectors (tests/reference/vectors/random_bert_small_lora).

Hugging Face PEFT's LoRA on the committed random_bert_small checkpoint, in
float64: the adapter folder exactly as PEFT's save_pretrained writes it
(adapter_config.json, adapter_model.safetensors), the adapted model's
last_hidden_state on the checkpoint's inputs, and the gradient of every LoRA
tensor for the loss L = <last_hidden_state, R> with a stored random R. The C++
test tests/peft/lora_reference.cpp loads the base checkpoint plus this adapter
and must reproduce both. Deterministic (fixed seed, one thread).

    python tests/reference/make_peft_vectors.py [--out DIR]
"""
import argparse
import os

import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file, save_file
from transformers import BertModel

GENERATOR = "tests/reference/make_peft_vectors.py"
SEED = 20261125
TARGETS = [f"encoder.layer.{layer}.{path}" for layer in (0, 1)
           for path in ("attention.self.query", "attention.self.value", "attention.output.dense",
                        "intermediate.dense", "output.dense")]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(here, "vectors"))
    args = parser.parse_args()
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()

    base_dir = os.path.join(args.out, "random_bert_small")
    folder = os.path.join(args.out, "random_bert_small_lora")
    inputs = load_file(os.path.join(base_dir, "expected.safetensors"))
    model = BertModel.from_pretrained(base_dir, attn_implementation="eager").double().eval()
    # init_lora_weights=False draws B at random too, so every term matters.
    config = LoraConfig(r=4, lora_alpha=12, lora_dropout=0.0, target_modules=TARGETS,
                        init_lora_weights=False)
    model = get_peft_model(model, config)
    model.save_pretrained(folder, safe_serialization=True)

    out = model(input_ids=inputs["input_ids"], token_type_ids=inputs["token_type_ids"],
                attention_mask=inputs["attention_mask"]).last_hidden_state
    r = torch.randn(out.shape, generator=torch.Generator().manual_seed(SEED), dtype=torch.float64)
    (out * r).sum().backward()
    tensors = {"last_hidden_state": out.detach(), "R": r}
    for name, p in model.named_parameters():
        if p.requires_grad:
            tensors["grad." + name.replace("base_model.model.", "").replace(".default", "")] = p.grad
    save_file({k: v.contiguous() for k, v in sorted(tensors.items())},
              os.path.join(folder, "expected.safetensors"),
              metadata={"generator": GENERATOR, "peft": peft.__version__, "torch": torch.__version__,
                        "transformers": transformers.__version__})
    print(f"wrote {folder}/ ({len(tensors)} tensors, peft {peft.__version__})")


if __name__ == "__main__":
    main()
