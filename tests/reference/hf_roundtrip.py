"""Loads the checkpoints hf_roundtrip.cpp saved with transformers; prints the
loading report (must be empty) and the largest difference from adaptrec's
outputs on the reference inputs.  Usage: hf_roundtrip.py VECTORS_DIR OUT_DIR"""
import sys
import torch
from safetensors.torch import load_file
from transformers import BertModel, BertForMaskedLM
torch.set_num_threads(1)
ref = sys.argv[1] + "/"
out = sys.argv[2] + "/"
ours = load_file(out + "ours.safetensors")
ex = load_file(ref + "random_bert_small/expected.safetensors")
for d in ["bare", "prefixed"]:
    m, info = BertModel.from_pretrained(out + d, output_loading_info=True)
    m.eval()
    h = m(input_ids=ex["input_ids"], token_type_ids=ex["token_type_ids"], attention_mask=ex["attention_mask"]).last_hidden_state
    mask = ex["attention_mask"].bool()
    print(d, info, "max abs diff", (h - ours["hidden"])[mask].abs().max().item())
ex2 = load_file(ref + "random_bert_prefixed/expected.safetensors")
m, info = BertForMaskedLM.from_pretrained(out + "mlm", output_loading_info=True)
m.eval()
l = m(input_ids=ex2["input_ids"], token_type_ids=ex2["token_type_ids"], attention_mask=ex2["attention_mask"]).logits
print("mlm", info, "max abs diff", (l - ours["mlm_logits"]).abs().max().item(), "scale", l.abs().max().item())
