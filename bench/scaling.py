#!/usr/bin/env python3
"""Data-parallel scaling of `mdn fit` on this machine (docs/scaling.md).

For each benchmark configuration's sizes (bench/mdn_harness.hpp: tiny, classic, wide, big), fits
one network on synthetic rows with `mdn fit --val 0 --noise-reg 0 --ensemble 1` and reads the
optimiser steps per second from its --log (the epochs' own seconds, the first epoch left out:
start-up, MPI's first messages), in three layouts:

  1p x 1t   one process, OMP_NUM_THREADS=1
  2p x 1t   mpirun -np 2, OMP_NUM_THREADS=1 each (each computes half of each batch's shards)
  1p x 2t   one process, OMP_NUM_THREADS=2 (the kernels' threads)

in alternating rounds, reporting the median. Then times the all-reduce itself on two processes
(bench/ordered_sum_time.cpp, built with the benchmarks) and fits its latency alpha and time per
byte beta, and predicts the steps per second of 1 to 64 nodes from the cost model of
docs/scaling.md, on this machine's alpha and beta and on typical cluster networks'. Prints
Markdown tables and, with --json FILE, the figures.

  ./run bench scaling [--rounds 3] [--configs tiny,classic]     (builds, then runs this)
  bench/scaling.py [--mdn build/release/examples/mdn] [--ordered-sum build/release/bench/ordered_sum_time]
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile

# name: (inputs, outputs, hidden, components, batch); keep in step with bench/mdn_harness.hpp.
CONFIGS = {
    "tiny": (1, 1, [32, 32], 5, 128),
    "classic": (1, 1, [64, 64], 10, 512),
    "wide": (8, 2, [256, 256], 16, 1024),
    "big": (32, 4, [1024, 1024], 32, 4096),
}
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--mca", "btl", "self,vader"]
SHARD_ROWS = 256  # nn::kShardRows
CHUNK_BYTES = 4 << 16  # the chain's chunk of 2^16 floats (nn/distributed_mpi.cpp)
NODES = [1, 2, 4, 8, 16, 32, 64]
# Latency (s) and time per byte (s/B) of an MPI message; "this machine" is measured.
NETWORKS = {
    "InfiniBand EDR, 100 Gb/s": (1.5e-6, 1 / 12.5e9),
    "25 GbE (TCP)": (30e-6, 1 / 3.125e9),
}


def parameters(inputs, outputs, hidden, components):
    """Trainable values of the MDN (full covariance for several outputs, diagonal for one)."""
    count, width = 0, inputs
    for h in hidden:
        count += width * h + h
        width = h
    scales = components * outputs * (outputs + 1) // 2 if outputs > 1 else components * outputs
    head = components + components * outputs + scales
    return count + width * head + head


def write_data(path, inputs, outputs, rows, seed=1):
    rng = random.Random(seed)
    with open(path, "w") as f:
        f.write(",".join([f"x{i}" for i in range(inputs)] + [f"y{j}" for j in range(outputs)]))
        f.write("\n")
        for _ in range(rows):
            x = [rng.uniform(-1, 1) for _ in range(inputs)]
            s = sum(x)
            y = [math.sin(3 * s + j) + 0.1 * rng.gauss(0, 1) for j in range(outputs)]
            f.write(",".join(f"{v:.6f}" for v in x + y) + "\n")


def steps_per_second(log_path):
    with open(log_path) as f:
        epochs = [json.loads(line) for line in f if line.strip()]
    steps = epochs[-1]["step"] - epochs[0]["step"]  # the first epoch left out: start-up
    seconds = sum(e["seconds"] for e in epochs[1:])
    return steps / seconds


def run(mdn, layout, data, config, epochs, log_path):
    inputs, outputs, hidden, components, batch = config
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    env["OMP_NUM_THREADS"] = "2" if layout == "1p x 2t" else "1"
    command = [mdn, "fit", "--data", data, "--y", ",".join(f"y{j}" for j in range(outputs)),
               "--hidden", ",".join(map(str, hidden)), "--components", str(components),
               "--batch", str(batch), "--epochs", str(epochs), "--val", "0", "--noise-reg", "0",
               "--ensemble", "1", "--quiet", "--log", log_path, "--out", log_path + ".tgm"]
    if layout == "2p x 1t":
        command = MPIRUN + ["-np", "2", "-x", "OMP_NUM_THREADS", "-x", "OMP_WAIT_POLICY"] + command
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return steps_per_second(log_path)


def chain_seconds(nodes, size, alpha, beta):
    """The pipelined chain and the broadcast of its total (nn/distributed.hpp), both modelled as a
    chain of c chunks through nodes - 1 links: 2 (N - 2 + c)(alpha + beta B / c)."""
    if nodes == 1:
        return 0.0
    chunks = max(1, math.ceil(size / CHUNK_BYTES))
    return 2 * (nodes - 2 + chunks) * (alpha + beta * size / chunks)


def ring_seconds(nodes, size, alpha, beta):
    """Ring all-reduce (reduce-scatter, then all-gather): 2 (N - 1) alpha + 2 (N - 1) / N beta B."""
    return 2 * (nodes - 1) * alpha + 2 * (nodes - 1) / nodes * beta * size


def measure_alpha_beta(exe):
    """Fits T(B) = 2 (alpha + beta B) to ordered_sum on two processes, at 4 bytes and 4 MiB."""
    out = subprocess.run(MPIRUN + ["-np", "2", exe], check=True, capture_output=True, text=True)
    times = {r["bytes"]: r["seconds"] for r in map(json.loads, out.stdout.split("\n")[:-1])}
    small, large = times[4], times[4 << 20]
    beta = (large - small) / ((4 << 20) - 4) / 2
    alpha = small / 2
    return alpha, beta, times


def compute_seconds(result, nodes):
    """A step's compute on `nodes` processes of one thread: the serial share f (noise, Adam, the
    batch's gather: every process does it whole) and the shards' share, ceil(S / N) of S."""
    shards, t1, f = result["shards"], 1 / result["1p x 1t"], result["serial share"]
    return t1 * (f + (1 - f) * math.ceil(shards / nodes) / shards)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mdn", default="build/release/examples/mdn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--configs", default="tiny,classic,wide,big")
    parser.add_argument("--ordered-sum", default="build/release/bench/ordered_sum_time")
    parser.add_argument("--json")
    args = parser.parse_args()
    layouts = ["1p x 1t", "2p x 1t", "1p x 2t"]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.configs.split(","):
            config = CONFIGS[name]
            inputs, outputs, hidden, components, batch = config
            data = os.path.join(tmp, f"{name}.csv")
            write_data(data, inputs, outputs, rows=4 * batch)
            # About a second of training per run on one thread of this machine.
            epochs = {"tiny": 150, "classic": 40, "wide": 6, "big": 3}[name]
            rates = {layout: [] for layout in layouts}
            for _ in range(args.rounds):
                for layout in layouts:
                    rates[layout].append(run(args.mdn, layout, data, config, epochs,
                                             os.path.join(tmp, f"{name}.jsonl")))
            results[name] = {
                "parameters": parameters(inputs, outputs, hidden, components),
                "batch": batch,
                "shards": math.ceil(batch / 256),
                **{layout: statistics.median(r) for layout, r in rates.items()},
            }
            print(f"{name}: {results[name]}", file=sys.stderr)
    alpha, beta, times = measure_alpha_beta(args.ordered_sum)
    networks = {"this machine (shared memory)": (alpha, beta), **NETWORKS}
    for r in results.values():
        # The serial share from the two-process rate, less its all-reduce (measured alpha, beta).
        size = 4 * (r["parameters"] + 1)
        t1, t2 = 1 / r["1p x 1t"], 1 / r["2p x 1t"] - chain_seconds(2, size, alpha, beta)
        g = math.ceil(r["shards"] / 2) / r["shards"]
        r["serial share"] = min(1.0, max(0.0, (t2 / t1 - g) / (1 - g))) if g < 1 else 1.0
    print(f"ordered_sum on 2 processes: {times}; alpha {alpha * 1e6:.2f} us, "
          f"beta {beta * 1e9:.3f} ns/B ({1 / beta / 1e9:.1f} GB/s)\n")
    print("| configuration | parameters | gradient bytes | batch (shards) | 1p x 1t steps/s "
          "| 2p x 1t steps/s | 1p x 2t steps/s | 2p / 1p | 2t / 1t |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        print(f"| {name} | {r['parameters']} | {4 * (r['parameters'] + 1)} | {r['batch']} "
              f"({r['shards']}) | {r['1p x 1t']:.1f} | {r['2p x 1t']:.1f} | {r['1p x 2t']:.1f} "
              f"| {r['2p x 1t'] / r['1p x 1t']:.2f} | {r['1p x 2t'] / r['1p x 1t']:.2f} |")
    print("\nserial share (from 2p): " +
          ", ".join(f"{n} {r['serial share']:.2f}" for n, r in results.items()))
    predictions = {}
    for name, r in results.items():
        size = 4 * (r["parameters"] + 1)
        print(f"\n{name}: predicted steps/s on N nodes of one process, one thread "
              f"({size} gradient bytes, batch {r['batch']} = {r['shards']} shards)\n")
        print("| N | compute ms | " + " | ".join(f"{k}: chain | ring" for k in networks) + " |")
        print("| ---: | ---: | " + " | ".join("---: | ---:" for _ in networks) + " |")
        for nodes in NODES:
            compute = compute_seconds(r, nodes)
            cells = []
            for net, (a, b) in networks.items():
                chain = 1 / (compute + chain_seconds(nodes, size, a, b))
                ring = 1 / (compute + ring_seconds(nodes, size, a, b))
                cells.append(f"{chain:.1f} | {ring:.1f}")
                predictions.setdefault(name, {}).setdefault(net, {})[nodes] = (chain, ring)
            print(f"| {nodes} | {compute * 1e3:.3f} | " + " | ".join(cells) + " |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "alpha": alpha, "beta": beta,
                       "ordered_sum_seconds": times, "predictions": predictions}, f, indent=1)


if __name__ == "__main__":
    main()
