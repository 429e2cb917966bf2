#!/usr/bin/python3
"""Workload W (shared benchmark protocol) in PyTorch: the reference for Cohort's MLP speed.

MLP 784-1024-1024-10 with ReLU (1,863,690 parameters), fp32, softmax cross-entropy, Adam lr 1e-3,
batch 256, one thread. Inputs are uniform in [0, 1) and labels random: the speed of a step does not
depend on the pixels, so this needs no data set.

Modes (one JSON object per line on stdout):
  mlp_w.py bench [--steps N]   warm up 20 steps (--warmup), time N steps, print samples/s
  mlp_w.py serve               warm up, then per stdin line "run N" time N steps and print
                               {"steps": N, "seconds": s}; Cohort's bench alternates with it
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # Debian's torch calls the system OpenBLAS
os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

BATCH = 256


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["bench", "serve"])
    ap.add_argument("--warmup", type=int, default=20, help="untimed steps first")
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    assert sum(p.numel() for p in model.parameters()) == 1_863_690
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xs = torch.rand(16, BATCH, 784)
    ys = torch.randint(0, 10, (16, BATCH))

    def timed(n):
        t0 = time.perf_counter()
        for i in range(n):
            loss = F.cross_entropy(model(xs[i % 16]), ys[i % 16])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return time.perf_counter() - t0

    timed(args.warmup)
    if args.mode == "bench":
        s = timed(args.steps)
        print(json.dumps({"bench": "compute", "impl": "pytorch", "model": "mlp", "samples_per_s": args.steps * BATCH / s,
                          "model_gflops": 6 * 1_863_690 * args.steps * BATCH / s / 1e9, "threads": 1}), flush=True)
        return
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if len(words) != 2 or words[0] != "run":
            sys.exit(f"error: serve expects 'run N' lines, got {line!r}")
        print(json.dumps({"steps": int(words[1]), "seconds": timed(int(words[1]))}), flush=True)


if __name__ == "__main__":
    main()
