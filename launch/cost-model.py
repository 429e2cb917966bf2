#!/usr/bin/env python3
"""Alpha-beta cost model of Cohort's data-parallel step, fitted to measured figures (docs/scaling.md).

Measures (or reads from --from FILE, JSON lines of earlier runs):
  * per-message latency alpha and link bandwidth B: `cohort bench allreduce --nodes 2` (fp32 ring
    over the sockets), fitted to t(S) = 2(N-1)·alpha + 2(N-1)/N·S/B + (N-1)/N·S/R
  * reduction bandwidth R: bytes of float adds per second on this machine (numpy `a += b`, 16 MB)
  * 16-bit conversion cost gamma (s per fp32 byte): the bf16 lines, t = ... + 2(N-1)/N·S/(2B) + gamma·S
  * compute per sample on K nodes, measured under the same placement and core sharing as the
    K-node run but with no communication: `cohort bench scaling --nodes K --sync-every 1000000`
    (local SGD that never syncs within the run)
  * the overlap o (share of the compute that hides communication): `cohort bench scaling --nodes 2`
Predicts step time, samples/s and efficiency (per-rank throughput ÷ one rank's) for workload W and
a 100M-parameter MLP at 2 … 1,024 nodes for the flat ring, the hierarchical reduction and bf16,
and checks the prediction against `cohort bench scaling --nodes K` for K = 2, 3, 4 (one rank per
node; on this machine's C cores K > C nodes share them: the compute-only runs measure that).
(and local SGD with sync_every 8: parameters, m and v averaged every 8 steps, nothing hidden).
  launch/cost-model.py --cohort .build/release/cohort --link-rate 1gbit > model.jsonl
"""
import argparse, json, math, os, subprocess, sys, time

W_PARAMS = 1_863_690
BIG_PARAMS = 100_000_000
BATCH = 256
BUCKET = 4 * 1_048_576


def run(cmd):
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, stdout=subprocess.PIPE, check=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def reduction_bandwidth():
    import numpy as np
    a, b = np.ones(4 << 20, np.float32), np.ones(4 << 20, np.float32)
    best = math.inf
    for _ in range(20):
        t = time.perf_counter(); a += b; best = min(best, time.perf_counter() - t)
    return a.nbytes / best


def fit_line(xs, ys):
    """y = c0 + c1·x, least squares on relative error (weights 1/y²): small messages count."""
    w = [1 / (y * y) for y in ys]
    sw = sum(w); mx = sum(wi * x for wi, x in zip(w, xs)) / sw; my = sum(wi * y for wi, y in zip(w, ys)) / sw
    sxx = sum(wi * (x - mx) ** 2 for wi, x in zip(w, xs)); sxy = sum(wi * (x - mx) * (y - my) for wi, x, y in zip(w, xs, ys))
    slope = sxy / sxx
    return my - slope * mx, slope


def ring_time(S, P, alpha, B, R, wire=1.0, gamma=0.0, messages=1):
    """One allreduce of S fp32 bytes over a ring of P links (one per node): reduce-scatter + allgather."""
    if P < 2:
        return 0.0
    return messages * 2 * (P - 1) * alpha + 2 * (P - 1) / P * S * wire / B + (P - 1) / P * S / R + gamma * S


def step_time(params, nodes, per_node, algo, f, compute_s_per_sample=None):
    """Seconds per step with `per_node` ranks on each of `nodes` nodes (each rank one core)."""
    S = 4 * params
    buckets = max(1, math.ceil(S / BUCKET))
    compute = BATCH * (compute_s_per_sample or f["compute_s_per_sample"]) * (params / W_PARAMS)
    wire, gamma = (0.5, f["gamma_s_per_byte"]) if algo == "bf16" else (1.0, 0.0)
    if algo.startswith("local-sgd-"):
        # parallel.sync_every H: parameters, m and v (3Ψ floats) averaged every H steps, not hidden
        h = int(algo.split("-")[-1])
        local = 2 * (per_node - 1) / per_node * 3 * S / f["shared_Bps"] if per_node > 1 else 0.0
        sync = local + ring_time(3 * S, nodes, f["alpha_s"], f["link_Bps"], f["reduce_Bps"] * per_node, messages=3 * buckets)
        return compute + sync / h, compute
    if algo == "ring" and per_node > 1:
        # flat ring over every rank: 2(P-1) latency steps; the busiest link (one per node) carries
        # the ring's 2(P-1)/P·S; hops inside a node run at shared-memory speed (not the limit)
        P = nodes * per_node
        comm = buckets * 2 * (P - 1) * f["alpha_s"] + 2 * (P - 1) / P * S / f["link_Bps"] + (P - 1) / P * S / f["reduce_Bps"]
    else:
        # hierarchical (or one rank per node): node-local reduce-scatter/allgather over shared
        # memory, then `per_node` rings of the node's shard, together carrying 2(N-1)/N·S per link
        local = 2 * (per_node - 1) / per_node * S / f["shared_Bps"] if per_node > 1 else 0.0
        comm = local + ring_time(S, nodes, f["alpha_s"], f["link_Bps"], f["reduce_Bps"] * per_node, wire, gamma / per_node, buckets)
    hidden = min(comm, f["overlap"] * compute)
    return compute + comm - hidden, compute


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cohort", default=".build/release/cohort")
    ap.add_argument("--link-rate", default="1gbit")
    ap.add_argument("--from", dest="source", help="JSON lines of the bench runs instead of running them")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--ranks-per-node", type=int, default=8, help="ranks per node of the predictions")
    ap.add_argument("--shared-gbs", type=float, default=4.0, help="node-local shared-memory reduction, GB/s bus bandwidth")
    a = ap.parse_args()
    cores = os.cpu_count() or 1

    if a.source:
        lines = [json.loads(l) for l in open(a.source) if l.startswith("{")]
        lines = [l for l in lines if l.get("bench") in ("allreduce", "scaling")]  # not an earlier run's model lines
    else:
        lines = []
        for dtype in ("fp32", "bf16"):
            lines += run([a.cohort, "bench", "allreduce", "--nodes", "2", "--link-rate", a.link_rate, "--dtype", dtype,
                          "--bytes", "4K", "64K", "1M", "4M", "16M", "--iterations", "5"])
        for k in (2, 3, 4):
            for h in ("1000000", "1"):
                lines += run([a.cohort, "bench", "scaling", "--nodes", str(k), "--link-rate", a.link_rate, "--zero-stage", "0",
                              "--steps", str(a.steps), "--rounds", "1", "--sync-every", h])
    for l in lines:
        print(json.dumps(dict(l, source="measured"), sort_keys=True))

    R = reduction_bandwidth()
    ring = {d: sorted((l["bytes"], l["median_s"]) for l in lines if l.get("bench") == "allreduce" and l.get("impl") == "ring"
                      and l.get("dtype") == d and l.get("nodes") == 2) for d in ("fp32", "bf16")}
    N = 2
    xs = [s for s, _ in ring["fp32"]]
    ys = [t - (N - 1) / N * s / R for s, t in ring["fp32"]]
    c0, c1 = fit_line(xs, ys)
    alpha, B = max(c0, 1e-6) / (2 * (N - 1)), 2 * (N - 1) / N / c1
    # gamma: what bf16 costs beyond half the bytes (conversion, error feedback), least squares through 0
    res = [(s, t - ring_time(s, N, alpha, B, R, wire=0.5)) for s, t in ring["bf16"]]
    gamma = max(0.0, sum(s * r for s, r in res) / sum(s * s for s, _ in res)) if res else 0.0
    cohort = [l for l in lines if l.get("bench") == "scaling" and l.get("impl", "cohort") == "cohort" and l.get("dtype") == "fp32"]
    scaling = {l["nodes"]: l for l in cohort if l.get("sync_every", 1) == 1}
    # per-rank compute seconds per sample on K nodes: the never-syncing run's aggregate ÷ K
    compute = {l["nodes"]: l["nodes"] / l["samples_per_s_n"] for l in cohort if l.get("sync_every", 1) >= 100_000}
    f = {"alpha_s": alpha, "link_Bps": B, "reduce_Bps": R, "gamma_s_per_byte": gamma, "compute_s_per_sample": compute[2],
         "shared_Bps": a.shared_gbs * 1e9, "overlap": 0.0, "compute_s_per_sample_by_nodes": compute}
    # overlap o from the 2-node run: measured = compute + comm - min(comm, o·compute)
    t2, c2 = step_time(W_PARAMS, 2, 1, "ring", f)
    measured2 = BATCH * 2 / scaling[2]["samples_per_s_n"]
    f["overlap"] = max(0.0, min(2 / 3, (t2 - measured2) / c2))
    print(json.dumps({"bench": "model", "fit": f, "link_rate": a.link_rate, "cores": cores}, sort_keys=True))

    for k in sorted(scaling):
        t, _ = step_time(W_PARAMS, k, 1, "ring", f, compute_s_per_sample=compute[k])
        pred, meas = BATCH * k / t, scaling[k]["samples_per_s_n"]
        print(json.dumps({"bench": "model", "validate": True, "nodes": k, "predicted_samples_per_s": pred,
                          "measured_samples_per_s": meas, "error": pred / meas - 1, "fitted_on": k == 2}, sort_keys=True))

    for name, params in (("W", W_PARAMS), ("mlp-100M", BIG_PARAMS)):
        for algo in ("ring", "hierarchical", "bf16", "local-sgd-8"):
            for nodes in (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024):
                t, c = step_time(params, nodes, a.ranks_per_node, algo, f)
                print(json.dumps({"bench": "model", "model": name, "params": params, "algorithm": algo, "nodes": nodes,
                                  "ranks_per_node": a.ranks_per_node, "step_s": t, "efficiency": c / t,
                                  "samples_per_s": BATCH * nodes * a.ranks_per_node / t}, sort_keys=True))


if __name__ == "__main__":
    main()
