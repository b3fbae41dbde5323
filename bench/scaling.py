#!/usr/bin/env python3
"""Data-parallel scaling of `mdn fit` on this machine (docs/scaling.md).

For each benchmark configuration's sizes (bench/mdn_harness.hpp: tiny, classic, wide, big), fits
one network on synthetic rows with `mdn fit --val 0 --noise-reg 0 --ensemble 1` and reads the
optimiser steps per second from its --log (the epochs' own seconds, the first epoch left out:
start-up, MPI's first messages), in three layouts:

  1p x 1t   one process, OMP_NUM_THREADS=1
  2p x 1t   mpirun -np 2, OMP_NUM_THREADS=1 each (each computes half of each batch's shards)
  1p x 2t   one process, OMP_NUM_THREADS=2 (the kernels' threads)

in alternating rounds, reporting the median. Prints a Markdown table and, with --json FILE, the
figures. The all-reduce's own latency and bandwidth come from bench/ordered_sum_time.cpp.

  bench/scaling.py [--mdn build/release/examples/mdn] [--rounds 3] [--configs tiny,classic]
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mdn", default="build/release/examples/mdn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--configs", default="tiny,classic,wide,big")
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
    print("| configuration | parameters | gradient bytes | batch (shards) | 1p x 1t steps/s "
          "| 2p x 1t steps/s | 1p x 2t steps/s | 2p / 1p | 2t / 1t |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        print(f"| {name} | {r['parameters']} | {4 * (r['parameters'] + 1)} | {r['batch']} "
              f"({r['shards']}) | {r['1p x 1t']:.1f} | {r['2p x 1t']:.1f} | {r['1p x 2t']:.1f} "
              f"| {r['2p x 1t'] / r['1p x 1t']:.2f} | {r['1p x 2t'] / r['1p x 1t']:.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
