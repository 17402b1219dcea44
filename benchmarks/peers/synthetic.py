"""The synthetic MovieLens-shaped inputs of benchmarks/synthetic_movielens.hpp,
rebuilt formula for formula so that PyTorch trains on exactly the batch that
adaptrec does. Change a formula there and here together."""
import math

import torch

NUM_USERS, NUM_ITEMS, NUM_OCCUPATIONS, NUM_GENRES = 943, 1682, 21, 19
AGE_BUCKETS, YEAR_BUCKETS = 7, 19


# examples/common/movielens_features.hpp
def age_bucket(age):
    return sum(1 for bound in (18, 25, 35, 45, 50, 56) if age >= bound)


def year_bucket(year):
    if year <= 0:
        return 0
    return 1 + min(max((year - 1920) // 5, 0), YEAR_BUCKETS - 2)


def user_attributes(u):
    """(gender id, age bucket, occupation) of user u."""
    return (1 if u % 3 == 0 else 0), age_bucket(7 + (13 * u) % 60), (5 * u) % 21


def movie_year(i):
    return 0 if i % 50 == 0 else 1922 + (7 * i) % 80


def movie_genres(i):
    genres = {i % 19}
    if i % 3 == 0:
        genres.add((7 * i) % 19)
    return sorted(genres)


def bags(lists):
    """PyTorch's EmbeddingBag input: flat ids and the offset of each bag."""
    offsets, flat = [], []
    for ids in lists:
        offsets.append(len(flat))
        flat.extend(ids)
    return torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)


def two_tower_batch(batch_size, recent_items=5):
    total = float(sum(1 + (31 * i) % 200 for i in range(NUM_ITEMS)))
    users = [(7919 * b) % NUM_USERS for b in range(batch_size)]
    histories = [[(131 * b + 17 * j) % NUM_ITEMS for j in range((37 * b) % 101)]
                 for b in range(batch_size)]
    items = [((b % 400) * 263 + 11) % NUM_ITEMS for b in range(batch_size)]
    attributes = [user_attributes(u) for u in users]
    long = lambda values: torch.tensor(values, dtype=torch.long)
    return {
        "user": long(users),
        "gender": long([a[0] for a in attributes]),
        "age": long([a[1] for a in attributes]),
        "occupation": long([a[2] for a in attributes]),
        "history": bags(histories),
        "recent": bags([h[-recent_items:] if recent_items else [] for h in histories]),
        "item": long(items),
        "year": long([year_bucket(movie_year(i)) for i in items]),
        "genres": bags([movie_genres(i) for i in items]),
        "log_q": torch.tensor([math.log((1 + (31 * i) % 200) / total) for i in items],
                              dtype=torch.float32),
    }


def ctr_batch(batch_size):
    users = [(7919 * b) % NUM_USERS for b in range(batch_size)]
    items = [(263 * b + 11) % NUM_ITEMS for b in range(batch_size)]
    attributes = [user_attributes(u) for u in users]
    long = lambda values: torch.tensor(values, dtype=torch.long)
    return {
        "user": long(users),
        "item": long(items),
        "gender": long([a[0] for a in attributes]),
        "age": long([a[1] for a in attributes]),
        "occupation": long([a[2] for a in attributes]),
        "year": long([year_bucket(movie_year(i)) for i in items]),
        "genres": bags([movie_genres(i) for i in items]),
        "labels": torch.tensor([1.0 if (b * b + 3 * b) % 7 < 3 else 0.0
                                for b in range(batch_size)], dtype=torch.float32),
    }


def time_steps(step, threads, warmup, steps, repeats):
    """Median over `repeats` runs of `steps` steps of the wall-clock and of the
    process CPU milliseconds per step (all threads' CPU time, as Google
    Benchmark's CPU column), and the wall-clock samples."""
    import statistics
    import time
    torch.set_num_threads(threads)
    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        cpu.append((time.process_time() - start_cpu) * 1000.0 / steps)
        wall.append((time.perf_counter() - start) * 1000.0 / steps)
    return statistics.median(wall), statistics.median(cpu), wall


def report(model, batch, threads, timing):
    import json
    wall, cpu, samples = timing
    print(json.dumps({"model": model, "framework": "pytorch", "torch": torch.__version__,
                      "threads": threads, "batch": batch, "ms_per_step": round(wall, 3),
                      "cpu_ms_per_step": round(cpu, 3),
                      "samples_ms": [round(s, 3) for s in samples]}))


def parse_args(description):
    import argparse
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    return parser.parse_args()
