"""One training step of examples/common/two_tower_model.hpp in PyTorch, on the
batch of benchmarks/synthetic_movielens.hpp: forward, in-batch softmax with
temperature 0.05, logQ correction and accidental-hit masking, backward,
Adam(lr 0.002) step, zero_grad. Prints one JSON line with ms/step.

    /usr/bin/python3 benchmarks/peers/two_tower_step.py --threads 1
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

import synthetic as syn

def embedding(num, dim):
    e = nn.Embedding(num, dim)
    nn.init.normal_(e.weight, 0.0, 0.1)  # adaptrec's Embedding initialisation
    return e


def embedding_bag(num, dim):
    e = nn.EmbeddingBag(num, dim, mode="mean")
    nn.init.normal_(e.weight, 0.0, 0.1)
    return e


class UserTower(nn.Module):
    def __init__(self, id_dim=32, attribute_dim=8, history_dim=32, hidden=128, output=64):
        super().__init__()
        self.user_id = embedding(syn.NUM_USERS, id_dim)
        self.gender = embedding(2, attribute_dim)
        self.age = embedding(syn.AGE_BUCKETS, attribute_dim)
        self.occupation = embedding(syn.NUM_OCCUPATIONS, attribute_dim)
        self.history = embedding_bag(syn.NUM_ITEMS, history_dim)
        self.recent_history = embedding_bag(syn.NUM_ITEMS, history_dim)
        self.mlp = nn.Sequential(nn.Linear(id_dim + 3 * attribute_dim + 2 * history_dim, hidden),
                                 nn.ReLU(), nn.Linear(hidden, output))

    def forward(self, f):
        x = torch.cat([self.user_id(f["user"]), self.gender(f["gender"]), self.age(f["age"]),
                       self.occupation(f["occupation"]), self.history(*f["history"]),
                       self.recent_history(*f["recent"])], dim=1)
        return F.normalize(self.mlp(x), dim=1, eps=1e-12)


class ItemTower(nn.Module):
    def __init__(self, id_dim=32, attribute_dim=8, genre_dim=16, hidden=128, output=64):
        super().__init__()
        self.item_id = embedding(syn.NUM_ITEMS, id_dim)
        self.year = embedding(syn.YEAR_BUCKETS, attribute_dim)
        self.genres = embedding_bag(syn.NUM_GENRES, genre_dim)
        self.mlp = nn.Sequential(nn.Linear(id_dim + attribute_dim + genre_dim, hidden), nn.ReLU(),
                                 nn.Linear(hidden, output))

    def forward(self, f):
        x = torch.cat([self.item_id(f["item"]), self.year(f["year"]), self.genres(*f["genres"])],
                      dim=1)
        return F.normalize(self.mlp(x), dim=1, eps=1e-12)


def info_nce(q, k, log_q, ids, temperature):
    """In-batch softmax (Yi et al., RecSys 2019) as adaptrec::losses::InfoNce."""
    logits = q @ k.t() / temperature - log_q.unsqueeze(0)
    hits = (ids.unsqueeze(0) == ids.unsqueeze(1)) & ~torch.eye(len(ids), dtype=torch.bool)
    logits = logits.masked_fill(hits, float("-inf"))
    return F.cross_entropy(logits, torch.arange(len(ids)))


def main():
    args = syn.parse_args(__doc__)
    torch.set_num_interop_threads(1)  # before any parallel work starts
    torch.manual_seed(42)
    users, items = UserTower(), ItemTower()
    optimizer = torch.optim.Adam(list(users.parameters()) + list(items.parameters()), lr=0.002)
    batch = syn.two_tower_batch(512)

    def step():
        loss = info_nce(users(batch), items(batch), batch["log_q"], batch["item"], 0.05)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    syn.report("two_tower", 512, args.threads,
               syn.time_steps(step, args.threads, args.warmup, args.steps, args.repeats))


if __name__ == "__main__":
    main()
