#!/usr/bin/python3
"""Workload W (../shared/benchmark.md) with PyTorch DDP over Gloo, set up as users do.

One process per node. Rank, world size and the rendezvous come from the usual environment
variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; init_method env://); inside a network
namespace set GLOO_SOCKET_IFNAME=eth0. Fashion-MNIST from /usr/share/datasets/fashion-mnist
(Debian dataset-fashion-mnist), MLP 784-1024-1024-10 with ReLU, softmax cross-entropy, Adam lr 1e-3,
batch 256 per rank, inputs scaled to [0, 1], one thread per process.

Rank 0 prints one JSON line: aggregate samples/s over the steps after the warm-up ones
(warm-up excluded, as in `cohort train`), and with --epochs the test accuracy.
    RANK=0 WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 /usr/bin/python3 launch/pytorch/ddp_w.py --steps 60
"""
import argparse, datetime, gzip, json, sys, time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(root, split):
    x = idx(f"{root}/{split}-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0
    y = idx(f"{root}/{split}-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--steps", type=int, default=60, help="training steps (ignored with --epochs)")
    ap.add_argument("--epochs", type=int, default=0, help="train whole epochs and report test accuracy")
    ap.add_argument("--warmup", type=int, default=10, help="steps not timed")
    ap.add_argument("--batch", type=int, default=256, help="batch per rank")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="env://", timeout=datetime.timedelta(seconds=120))  # a lost peer fails, not hangs
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(a.seed)  # same initial weights on every rank (DDP broadcasts rank 0's anyway)
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    ddp = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = torch.optim.Adam(ddp.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x, y = load(a.data, "train")

    per_epoch = len(x) // (a.batch * world)  # every rank takes its own batches of one shuffled order
    total = a.epochs * per_epoch if a.epochs else a.steps
    gen = torch.Generator().manual_seed(a.seed)
    step, t0 = 0, None
    while step < total:
        order = torch.randperm(len(x), generator=gen)
        for b in range(per_epoch):
            if step == total:
                break
            if step == a.warmup:
                dist.barrier() if world > 1 else None
                t0 = time.perf_counter()
            i = order[(b * world + rank) * a.batch: (b * world + rank + 1) * a.batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(ddp(x[i]), y[i])
            loss.backward()
            opt.step()
            step += 1
    if world > 1:
        dist.barrier()
    seconds = time.perf_counter() - t0 if t0 is not None else float("nan")
    line = {"bench": "scaling", "impl": "pytorch-gloo", "ranks": world, "steps": total, "final_loss": float(loss),
            "samples_per_s": (total - a.warmup) * a.batch * world / seconds, "torch": torch.__version__}
    if a.epochs:
        tx, ty = load(a.data, "t10k")
        with torch.no_grad():
            line["test_accuracy"] = float((model(tx).argmax(1) == ty).float().mean())
    if rank == 0:
        print(json.dumps(line, sort_keys=True), flush=True)
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
