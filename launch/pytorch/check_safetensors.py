#!/usr/bin/env python3
"""Load a `cohort export --format safetensors` file into the equivalent PyTorch model and score
it: an MLP's Fashion-MNIST test accuracy and loss (compare with `cohort eval`), or a GPT's
validation loss on its text (compare with `cohort train`'s final "validation loss").

    /usr/bin/python3 -m venv --system-site-packages venv && venv/bin/pip install safetensors
    venv/bin/python launch/pytorch/check_safetensors.py model.safetensors [--data DIR]
    venv/bin/python launch/pytorch/check_safetensors.py gpt.safetensors --text corpus.txt [--windows 256]

The model is rebuilt from the file alone: its __metadata__ holds the job spec (model kind), and
the tensors `1.weight, 1.bias, 2.weight, …` are nn.Linear layers in order ([out, in] weights),
with a ReLU after every one but the last (Cohort fuses it). Inputs are x / 255, as Cohort feeds
them (docs/checkpoint-format.md).
"""
import argparse
import gzip
import sys

import numpy as np
import torch
import yaml
from safetensors import safe_open
from safetensors.torch import load_file


def load_idx(path, header):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--text", help="GPT: the text file(s) it trained on, concatenated (the last 10%% validate)", nargs="*")
    ap.add_argument("--windows", type=int, default=None, help="GPT: validation windows (default: the spec's data.eval_windows, else 256)")
    args = ap.parse_args()
    with safe_open(args.file, framework="pt") as f:
        meta = f.metadata() or {}
    spec = yaml.safe_load(meta.get("cohort_spec", "")) or {}
    kind = (spec.get("model") or {}).get("kind")
    tensors = load_file(args.file)
    if kind == "gpt":
        return check_gpt(spec, tensors, args, meta)
    if kind != "mlp":
        sys.exit(f"error: {args.file} holds a model of kind {kind!r}; this script rebuilds kinds mlp and gpt")
    layers = sorted({int(k.split(".")[0]) for k in tensors})
    modules = [torch.nn.Flatten()]
    for i, n in enumerate(layers):
        w, b = tensors[f"{n}.weight"], tensors[f"{n}.bias"]
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(w)
            lin.bias.copy_(b)
        modules.append(lin)
        if i < len(layers) - 1:
            modules.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*modules).eval()
    x = load_idx(f"{args.data}/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    y = load_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)
    with torch.no_grad():
        logits = model(torch.from_numpy(x.astype(np.float32) * np.float32(1.0 / 255.0)))
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)).item()
        accuracy = (logits.argmax(1).numpy() == y).mean()
    print(f"torch: step {meta.get('cohort_step')} test accuracy {accuracy:.4f}, test loss {loss:.4f} "
          f"({len(y)} images, inputs x/255, {sum(t.numel() for t in tensors.values())} parameters)")


def check_gpt(spec, t, args, meta):
    """GPT-2's pre-LayerNorm blocks as Sources/NN/GPT.swift computes them (tanh GELU, LayerNorm
    eps 1e-5, qkv rows q|k|v, head tied to wte); validation windows as TextTrainer picks them."""
    m = spec["model"]
    L, H, C, T = m["layers"], m["heads"], m["dim"], m["context"]
    files = args.text or spec["data"].get("files") or []
    data = b"".join(open(f, "rb").read() for f in files)
    n_val = len(data) // 10
    train_count, w = len(data) - n_val, T + 1
    count = args.windows or spec["data"].get("eval_windows") or 256
    n = max(1, min(count, n_val // w))
    span = n_val - w
    starts = [train_count + (0 if n == 1 else i * span // (n - 1)) for i in range(n)]
    ln = lambda x, p: torch.nn.functional.layer_norm(x, (C,), t[p + ".weight"], t[p + ".bias"], 1e-5)
    lin = lambda x, p: x @ t[p + ".weight"].T + t[p + ".bias"]
    total = 0.0
    with torch.no_grad():
        for i in range(0, n, 16):
            win = torch.tensor([list(data[s:s + w]) for s in starts[i:i + 16]], dtype=torch.long)
            x_ids, y = win[:, :T], win[:, 1:]
            B = x_ids.shape[0]
            x = t["wte"][x_ids] + t["wpe"][:T]
            mask = torch.ones(T, T).tril().bool()
            for l in range(L):
                q, k, v = lin(ln(x, f"h{l}.ln1"), f"h{l}.attn.qkv").split(C, dim=2)
                q, k, v = (z.view(B, T, H, C // H).transpose(1, 2) for z in (q, k, v))
                att = (q @ k.transpose(-2, -1)) / (C // H) ** 0.5
                att = att.masked_fill(~mask, float("-inf")).softmax(-1)
                x = x + lin((att @ v).transpose(1, 2).reshape(B, T, C), f"h{l}.attn.proj")
                h = torch.nn.functional.gelu(lin(ln(x, f"h{l}.ln2"), f"h{l}.mlp.fc1"), approximate="tanh")
                x = x + lin(h, f"h{l}.mlp.fc2")
            logits = ln(x, "lnf") @ t["wte"].T
            total += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
    print(f"torch: step {meta.get('cohort_step')} validation loss {total / (n * T):.4f} ({n} windows of {T}, {len(data)} bytes)")


if __name__ == "__main__":
    main()
