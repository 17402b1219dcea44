"""One training step of examples/common/ctr_model.hpp's DcnModel in PyTorch, on
the batch of benchmarks/synthetic_movielens.hpp: forward, BCE with logits,
backward, Adam(lr 1e-3, weight decay 1e-5) step, zero_grad. Prints one JSON
line with ms/step.

    /usr/bin/python3 benchmarks/peers/dcn_step.py --threads 1
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

import synthetic as syn

FIELD_DIM, CROSS_LAYERS, DEEP = 16, 3, (256, 128)


def embedding(num, dim):
    e = nn.Embedding(num, dim)
    nn.init.normal_(e.weight, 0.0, 0.1)
    return e


class Dcn(nn.Module):
    """DCN-V2, parallel form (Wang et al., WWW 2021): cross network beside a deep MLP."""

    def __init__(self):
        super().__init__()
        self.fields = nn.ModuleList([embedding(n, FIELD_DIM) for n in (
            syn.NUM_USERS, syn.NUM_ITEMS, 2, syn.AGE_BUCKETS, syn.NUM_OCCUPATIONS,
            syn.YEAR_BUCKETS)])
        self.genres = nn.EmbeddingBag(syn.NUM_GENRES, FIELD_DIM, mode="mean")
        nn.init.normal_(self.genres.weight, 0.0, 0.1)
        width = 7 * FIELD_DIM
        self.cross = nn.ModuleList([nn.Linear(width, width) for _ in range(CROSS_LAYERS)])
        self.deep = nn.Sequential(nn.Linear(width, DEEP[0]), nn.ReLU(), nn.Dropout(0.1),
                                  nn.Linear(DEEP[0], DEEP[1]), nn.ReLU())
        self.head = nn.Linear(width + DEEP[1], 1)

    def forward(self, f):
        ids = [f[name] for name in ("user", "item", "gender", "age", "occupation", "year")]
        x0 = torch.cat([e(i) for e, i in zip(self.fields, ids)] + [self.genres(*f["genres"])],
                       dim=1)
        x = x0
        for layer in self.cross:
            x = x0 * layer(x) + x
        return self.head(torch.cat([x, self.deep(x0)], dim=1)).squeeze(1)


def main():
    args = syn.parse_args(__doc__)
    torch.set_num_interop_threads(1)  # before any parallel work starts
    torch.manual_seed(42)
    model = Dcn()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    batch = syn.ctr_batch(1024)

    def step():
        loss = F.binary_cross_entropy_with_logits(model(batch), batch["labels"])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    syn.report("dcn", 1024, args.threads,
               syn.time_steps(step, args.threads, args.warmup, args.steps, args.repeats))


if __name__ == "__main__":
    main()
