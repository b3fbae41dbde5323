"""Runs the MDN benchmark on three sides, ours (bench/mdn_train), LibTorch (bench/libtorch_mdn) and
PyTorch (bench/pytorch_mdn.py), and writes the comparison into bench/RESULTS.md between the
mdn-comparison markers, and its summary tables into README.md between the bench-table markers.

    /usr/bin/python3 bench/compare_mdn.py [--rounds N] [--quick] [--configs tiny,big] [--no-write]
                                          [--write]

--quick is one round of one repeat each, to try the harness: it prints the section and writes
nothing unless --write is given (and then the section says it was a quick run).

Before any timing, the loss check: for each configuration, pytorch_mdn.py writes its initial
weights and batch to a file and prints the losses of its first steps, libtorch_mdn trains from the
same file, and the two lists must agree to LOSS_RTOL (relative), or this script stops. Then every
configuration runs in its own process (so that the peak resident memory is that configuration's)
on 1 and 2 threads. For each configuration and thread count the sides take turns, `--rounds`
times, the side that goes first changing each round; a side's figure is the median over rounds of
each process's median over its repeats, and a ratio is the other side's figure over ours. All
sides run with OMP_WAIT_POLICY=PASSIVE and flush-to-zero. The torch sides' matrix products go to
Debian's OpenBLAS, whose auto-detection picks slow generic kernels on some of the build machines'
CPUs: like bench/run for the kernel benchmarks, this script times a torch matmul under each
OPENBLAS_CORETYPE and runs PyTorch and LibTorch with the fastest (and it times `big` once with
auto-detection, for reference).

Efficiency: bench/fma_peak measures the machine's float FMA peak on 1 and 2 threads at the start
and at the end of the run (the higher of the two counts), and each configuration's achieved
GFLOP/s is its matrix products' FLOPs per step (gemm_flops below says what is counted) over its
time per step, as a fraction of that peak.

Without bench/libtorch_mdn (Debian's libtorch-dev not installed when the benchmarks were built)
the comparison runs with two sides and says so. Standard library only.
"""

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"  # the only interpreter that can import Debian's python3-torch
BUILD = os.path.join(ROOT, "build/release/bench")
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")
BEGIN, END = "<!-- mdn-comparison:begin -->", "<!-- mdn-comparison:end -->"
README = os.path.join(ROOT, "README.md")  # its Speed section quotes the summary table
README_BEGIN, README_END = "<!-- bench-table:begin -->", "<!-- bench-table:end -->"

# Keep in step with kConfigs in bench/mdn_harness.hpp and CONFIGS in bench/pytorch_mdn.py:
# name: (in, out, hidden, K, batch)
DIMS = {
    "tiny": (1, 1, (32, 32), 5, 128),
    "classic": (1, 1, (64, 64), 10, 512),
    "wide": (8, 2, (256, 256), 16, 1024),
    "big": (32, 4, (1024, 1024), 32, 4096),
    "infer": (1, 1, (64, 64), 10, 10000),
}
SHAPES = {
    name: f"in {i}, out {o}, hidden {'-'.join(map(str, h))}, K {k}, batch {b:,}"
    for name, (i, o, h, k, b) in DIMS.items()
}
SHAPES["infer"] = "classic's model on 10,000 rows, no tape"

# The targets of issue 16, per configuration (or inference row): the least ratio of LibTorch's and
# PyTorch's time over ours, and the least fraction of the FMA peak, by thread count.
TARGETS = {
    "tiny": {"libtorch": 15, "pytorch": 30},
    "classic": {"libtorch": 5, "pytorch": 10},
    "wide": {"libtorch": 6, "peak": {1: 0.60, 2: 0.60}},
    "big": {"peak": {1: 0.75, 2: 0.70}},
    "sample_ms": {"pytorch": 10},
    "forward_sample_ms": {"pytorch": 8},
}
SCALING_TARGET = 1.85  # big: the time on 1 thread over the time on 2, ours
INFER_ROWS = [  # key, what
    ("forward_ms", "forward pass"),
    ("sample_ms", "draw 1 sample per row"),
    ("forward_sample_ms", "forward + draw"),
]
THREADS = (1, 2)
CORETYPES = ("auto", "SapphireRapids", "Cooperlake", "SkylakeX", "Haswell")
SIDES = ("tapegrad", "libtorch", "pytorch")
NAMES = {"tapegrad": "ours", "libtorch": "LibTorch", "pytorch": "PyTorch"}
CHECK_STEPS = 3  # training steps compared by the loss check
LOSS_RTOL = 1e-5

PROBE = """
import time, torch
torch.set_num_threads(1)
a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
for _ in range(2):
    a @ b
times = []
for _ in range(8):
    start = time.perf_counter()
    a @ b
    times.append(time.perf_counter() - start)
print(2 * 1024**3 / min(times) / 1e9)
"""


def log(message):
    print(f"compare_mdn: {message}", file=sys.stderr, flush=True)


def executable(variable, name):
    return os.environ.get(variable, os.path.join(BUILD, name))


def gemm_flops(config):
    """(training step, forward pass): the FLOPs of the matrix products, 2*m*n*k for each.

    The layers are in -> hidden... -> head, the head giving K mixing logits, K*D means and K*D
    scales (PyTorch and LibTorch compute it as two Linear layers, ours as one product: the same
    multiply-adds). A training step's forward pass is one product per layer (batch x fan-in x
    fan-out); its backward pass is the weight gradient of every layer (the same size again) and
    the input gradient of every layer but the first (x needs no gradient, and no side computes
    it). Not counted: bias additions and bias gradients, tanh and its derivative, log_softmax,
    softplus, the Gaussian log-densities and logsumexp, the loss's mean, Adam's update (about ten
    operations per parameter) and every copy. They are O(batch x width) against the products'
    O(batch x width^2), a few per cent of the FLOPs on `big` but most of the time on `tiny`,
    which is why `tiny` and `classic` are judged by ratios to the other sides, not by the peak.
    """
    dim_in, dim_out, hidden, k, batch = DIMS[config]
    widths = [dim_in, *hidden, k + 2 * k * dim_out]
    products = [2 * batch * fan_in * fan_out for fan_in, fan_out in zip(widths, widths[1:])]
    forward = sum(products)
    return forward + forward + sum(products[1:]), forward


def child_env(coretype, threads=None):
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype != "auto":
        env["OPENBLAS_CORETYPE"] = coretype
    if threads is not None:  # libtorch_mdn would set these and start itself again
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(threads)
    return env


def best_coretype():
    """sgemm 1024 on one thread through torch under each OpenBLAS kernel set: (best, table)."""
    table = {}
    for core in CORETYPES:
        env = dict(child_env(core), OPENBLAS_NUM_THREADS="1")
        out = subprocess.run([PYTHON, "-c", PROBE], env=env, capture_output=True, text=True)
        table[core] = float(out.stdout) if out.returncode == 0 and out.stdout.strip() else 0.0
        log(f"torch matmul 1024, 1 thread, OPENBLAS_CORETYPE={core}: {table[core]:.1f} GFLOP/s")
    return max(table, key=table.get), table


def fma_peak(quick):
    """{threads: (GFLOP/s, CPU share)} and the probe's description from bench/fma_peak, or
    ({}, None) when it is not built."""
    exe = executable("TAPEGRAD_FMA_PEAK_EXE", "fma_peak")
    if not os.access(exe, os.X_OK):
        log(f"{exe} is missing: no efficiency column (build with ./run bench)")
        return {}, None
    command = [exe, "--json", "--threads", ",".join(map(str, THREADS))]
    command += ["--seconds", "0.1", "--repeats", "3"] if quick else []
    result = run_json(command, child_env("auto"))
    peak = {int(t): (g, result["cpu_share"][t]) for t, g in result["gflops"].items()}
    log("FMA peak: " + ", ".join(f"{t} thread(s) {g:.1f} GFLOP/s ({100 * share:.0f}% of the CPU)"
                                 for t, (g, share) in peak.items())
        + f" ({result['arch']}, {result['chains']} chains of {result['lanes']} floats)")
    return peak, result


def command_for(side):
    if side == "tapegrad":
        return [executable("TAPEGRAD_MDN_EXE", "mdn_train")]
    if side == "libtorch":
        return [executable("TAPEGRAD_LIBTORCH_EXE", "libtorch_mdn")]
    return [PYTHON, os.path.join(ROOT, "bench/pytorch_mdn.py")]


def run_json(command, env):
    out = subprocess.run(command, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"compare_mdn: {' '.join(command)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_side(side, config, threads, extra, coretype):
    command = command_for(side) + ["--config", config, "--threads", str(threads), "--json"]
    result = run_json(command + extra, child_env(coretype, threads))
    dim_in, dim_out, hidden, k, batch = DIMS[config]
    if result["dims"] != [dim_in, dim_out, list(hidden), k] or result["batch"] != batch:
        sys.exit(f"compare_mdn: {side}'s '{config}' is in, out, hidden, K {result['dims']}, batch "
                 f"{result['batch']}; DIMS here says {DIMS[config]}: keep the configurations of "
                 "mdn_harness.hpp, pytorch_mdn.py and compare_mdn.py in step")
    return result


def check_losses(configs, coretype):
    """The first CHECK_STEPS training losses of LibTorch and PyTorch from the same initial weights
    and batch, on one thread: {config: (pytorch losses, libtorch losses, max relative difference)}.
    Stops the script when they disagree."""
    checked = {}
    with tempfile.TemporaryDirectory(prefix="compare_mdn-") as tmp:
        for config in configs:
            init = os.path.join(tmp, f"{config}.init")
            steps = ["--config", config, "--check-losses", str(CHECK_STEPS)]
            theirs = run_json(command_for("pytorch") + steps + ["--write-init", init],
                              child_env(coretype, 1))["losses"]
            ours = run_json(command_for("libtorch") + steps + ["--init", init],
                            child_env(coretype, 1))["losses"]
            worst = max(abs(a - b) / max(abs(b), 1e-30) for a, b in zip(ours, theirs))
            log(f"loss check, {config}: PyTorch {theirs}, LibTorch {ours}, "
                f"max relative difference {worst:.2g}")
            if len(ours) != len(theirs) or worst > LOSS_RTOL:
                sys.exit(f"compare_mdn: the LibTorch and PyTorch losses of '{config}' differ "
                         f"(relative {worst:.3g} > {LOSS_RTOL:g}): PyTorch {theirs}, LibTorch "
                         f"{ours}; the two sides do not compute the same model, so no timing")
            checked[config] = (theirs, ours, worst)
    return checked


def measure(configs, rounds, extra, coretype, sides):
    """{(config, threads): {side: [runs]}}, the sides taking turns, a different one first each
    round."""
    runs = {}
    for config in configs:
        for threads in THREADS:
            results = {side: [] for side in sides}
            for r in range(rounds):
                order = sides[r % len(sides):] + sides[:r % len(sides)]
                for side in order:
                    results[side].append(run_side(side, config, threads, extra, coretype))
                key = "ms_per_step" if config != "infer" else "forward_sample_ms"
                log(f"{config}, {threads} thread(s), round {r + 1}/{rounds}: " + ", ".join(
                    f"{NAMES[s]} {results[s][-1][key]:.4g} ms" for s in sides))
            runs[(config, threads)] = results
    return runs


def median_of(runs, key):
    return statistics.median(run[key] for run in runs)


def fmt_ms(ms):
    return f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"


def ratio(results, side, key):
    """The other side's median over ours, or None without that side."""
    if side not in results:
        return None
    return median_of(results[side], key) / median_of(results["tapegrad"], key)


def spread(results, side, key):
    """The range of the per-round ratios: how far one round can be from another."""
    if side not in results:
        return "-"
    rounds = [o[key] / t[key] for t, o in zip(results["tapegrad"], results[side])]
    return f"{min(rounds):.2f}-{max(rounds):.2f}" if len(rounds) > 1 else "-"


def times(x, bold=True):
    return "-" if x is None else (f"**{x:.2f}x**" if bold else f"{x:.2f}x")


def percent(x):
    return "-" if x is None else f"{100 * x:.0f}%"


def efficiency(results, side, key, flops, peak, threads):
    """(GFLOP/s, fraction of the FMA peak) of one side, or (None, None)."""
    if side not in results or not flops:
        return None, None
    gflops = flops / (median_of(results[side], key) / 1000.0) / 1e9
    return gflops, (gflops / peak[threads] if peak.get(threads) else None)


def judge(target, ratios, fraction, threads):
    """(target text, verdict text) for one row."""
    if not target:
        return "-", "-"
    wants, missed = [], []
    for side in ("libtorch", "pytorch"):
        if side in target:
            wants.append(f">= {target[side]}x {NAMES[side]}")
            if ratios.get(side) is None:
                missed.append(f"no {NAMES[side]} side")
            elif ratios[side] < target[side]:
                missed.append(NAMES[side])
    if "peak" in target:
        wants.append(f">= {100 * target['peak'][threads]:.0f}% of peak")
        if fraction is None:
            missed.append("no peak measured")
        elif fraction < target["peak"][threads]:
            missed.append("peak")
    verdict = "met" if not missed else "**missed** (" + ", ".join(missed) + ")"
    return ", ".join(wants), verdict


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def summary_rows(runs, peak):
    rows = []
    for (config, threads), results in runs.items():
        train_flops, forward_flops = gemm_flops(config)
        if config == "infer":
            entries = [(key, f"infer: {what}", forward_flops if key == "forward_ms" else None)
                       for key, what in INFER_ROWS]
        else:
            entries = [("ms_per_step", config, train_flops)]
        for key, label, flops in entries:
            ratios = {side: ratio(results, side, key) for side in ("libtorch", "pytorch")}
            gflops, fraction = efficiency(results, "tapegrad", key, flops, peak, threads)
            target, verdict = judge(TARGETS.get(config if config != "infer" else key), ratios,
                                    fraction, threads)
            ms = [fmt_ms(median_of(results[s], key)) if s in results else "-" for s in SIDES]
            rows.append([label, threads] + ms
                        + [times(ratios["libtorch"]), times(ratios["pytorch"]),
                           "-" if gflops is None else f"{gflops:.1f}", percent(fraction),
                           target, verdict])
    if ("big", 1) in runs and ("big", 2) in runs:
        one, two = runs[("big", 1)], runs[("big", 2)]
        speedups = {side: median_of(one[side], "ms_per_step") / median_of(two[side], "ms_per_step")
                    for side in SIDES if side in one and side in two}
        ours = speedups["tapegrad"]
        rows.append(["big: speed-up from 1 to 2 threads", "1 -> 2"]
                    + [times(speedups.get(s), bold=False) for s in SIDES] + ["-"] * 4
                    + [f">= {SCALING_TARGET}x ours",
                       "met" if ours >= SCALING_TARGET else "**missed**"])
    return table(["configuration", "threads", "ours ms", "LibTorch ms", "PyTorch ms",
                  "vs LibTorch", "vs PyTorch", "ours GFLOP/s", "ours % of FMA peak", "target",
                  "verdict"], rows)


def memory_rows(runs):
    rows = []
    for (config, threads), results in runs.items():
        mib = {s: median_of(results[s], "peak_rss_mib") for s in SIDES if s in results}
        base = median_of(results["pytorch"], "baseline_rss_mib")
        rows.append([config, threads] + [f"{mib[s]:.0f}" if s in mib else "-" for s in SIDES]
                    + [f"{base:.0f}", "met" if mib["tapegrad"] <= mib["pytorch"] else "**missed**"])
    return table(["configuration", "threads", "ours MiB", "LibTorch MiB", "PyTorch MiB",
                  "PyTorch after import", "ours <= PyTorch's"], rows)


def memory_verdict(runs):
    """One line: whether our peak memory is at most PyTorch's on every configuration."""
    worst = max(runs.items(), key=lambda item: median_of(item[1]["tapegrad"], "peak_rss_mib")
                / median_of(item[1]["pytorch"], "peak_rss_mib"))
    (config, threads), results = worst
    ours, theirs = (median_of(results[s], "peak_rss_mib") for s in ("tapegrad", "pytorch"))
    met = ours <= theirs
    return (f"Peak memory at most PyTorch's on every configuration: "
            f"{'met' if met else '**missed**'} (closest: {config} on {threads} thread(s), ours "
            f"{ours:.0f} MiB, PyTorch {theirs:.0f} MiB).")


def detail_rows(config, runs, peak):
    """The per-configuration table: every side's time, the ratios with their per-round ranges,
    GFLOP/s and fraction of peak for each side."""
    train_flops, forward_flops = gemm_flops(config)
    rows = []
    for threads in THREADS:
        if (config, threads) not in runs:
            continue
        results = runs[(config, threads)]
        if config == "infer":
            entries = [(key, what, forward_flops if key == "forward_ms" else None)
                       for key, what in INFER_ROWS]
        else:
            entries = [("ms_per_step", "train step", train_flops)]
        for key, what, flops in entries:
            ms = [fmt_ms(median_of(results[s], key)) if s in results else "-" for s in SIDES]
            ratios = [f"{times(ratio(results, s, key))} ({spread(results, s, key)})"
                      for s in ("libtorch", "pytorch")]
            eff = [efficiency(results, s, key, flops, peak, threads) for s in SIDES]
            rows.append([what, threads] + ms + ratios
                        + [" / ".join("-" if g is None else f"{g:.1f}" for g, _ in eff),
                           " / ".join(percent(f) for _, f in eff)])
    return table(["timed", "threads", "ours ms", "LibTorch ms", "PyTorch ms",
                  "vs LibTorch (rounds)", "vs PyTorch (rounds)",
                  "GFLOP/s ours / LibTorch / PyTorch", "% of FMA peak ours / LibTorch / PyTorch"],
                 rows)


def loaded_probe_warning(probe, where="below"):
    """A line to print when the FMA probe shared the cores with other processes."""
    if not probe:
        return []
    shares = [share for p in probe["runs"].values() for _, share in p.values()]
    if min(shares) >= 0.9:
        return []
    return [f"**The FMA probe did not have the cores to itself** (as little as "
            f"{100 * min(shares):.0f}% of them in its best run, {where}): the peak is understated "
            "and the *% of FMA peak* figures are overstated. Rerun on a quiet machine.", ""]


def render(runs, meta):
    rounds, extra, started, loads = meta["rounds"], meta["extra"], meta["started"], meta["loads"]
    peak, sides = meta["peak"], meta["sides"]
    out = [BEGIN, "", "## MDN training and inference against LibTorch and PyTorch", ""]
    out += [
        f"Generated by `bench/compare_mdn.py` (run by `./run bench`) on {started} UTC, "
        f"{rounds} round(s) of alternating processes per row"
        + (f", extra arguments `{' '.join(extra)}` (a harness check, not a measurement)"
           if extra else "")
        + f". Load average {loads[0]:.2f} at the start and {loads[1]:.2f} at the end "
        "(the 2 cores are shared; absolute times drift, the ratios of one run are comparable).",
        "",
    ]
    if "libtorch" not in sides:
        out += ["**No LibTorch side in this run**: `build/release/bench/libtorch_mdn` was not "
                "built (Debian's `libtorch-dev` was not installed when the benchmarks were "
                "configured; `./run bench` installs it).", ""]
    out += [
        "One step = zero the gradients, mean NLL of a fixed random batch, `item()`, backward, "
        "Adam (lr 1e-3) step (ours also clears the tape). MLP trunk with tanh, diagonal noise "
        "model. Figures are milliseconds per step (inference: per call), medians; *vs LibTorch* "
        "and *vs PyTorch* are their time over ours, so higher is better for us. *GFLOP/s* counts "
        "the matrix products only (below); *% of FMA peak* is that over the FMA peak measured "
        "in this run on the same number of threads.",
        "",
    ]
    out += summary_rows(runs, peak) + [""]
    out += loaded_probe_warning(meta["probe"])
    out += ["Peak resident memory (VmHWM) of each configuration's process; PyTorch's includes "
            "the interpreter and torch's libraries (*PyTorch after import*), LibTorch's its "
            "shared libraries.", ""]
    out += memory_rows(runs) + ["", memory_verdict(runs), ""]

    for config in dict.fromkeys(c for c, _ in runs):
        out += [f"### {config} ({SHAPES[config]})", ""]
        out += detail_rows(config, runs, peak) + [""]
        if config == "big" and meta["auto_big"]:
            cells = ", ".join(f"{t} thread(s) {fmt_ms(ms)} ms/step"
                              for t, ms in meta["auto_big"].items())
            out += [f"PyTorch on `big` with OpenBLAS's auto-detected kernels (no "
                    f"OPENBLAS_CORETYPE), one process of one repeat each: {cells}.", ""]

    out += ["### Same model on both torch sides: the loss check", ""]
    if meta["checked"]:
        out += [f"Before timing, `pytorch_mdn.py --write-init FILE --check-losses {CHECK_STEPS}` "
                "writes PyTorch's initial weights (its default Linear initialisation at the "
                "benchmark's seed) and batch to a file and prints the loss of each of its first "
                f"{CHECK_STEPS} training steps on one thread; `libtorch_mdn --init FILE "
                f"--check-losses {CHECK_STEPS}` loads the same weights and batch and does the "
                f"same. The run stops unless they agree to {LOSS_RTOL:g} relative. This run:", ""]
        rows = [[config, ", ".join(f"{v:.7g}" for v in theirs),
                 ", ".join(f"{v:.7g}" for v in ours), f"{worst:.1g}"]
                for config, (theirs, ours, worst) in meta["checked"].items()]
        out += table(["configuration", "PyTorch losses", "LibTorch losses",
                      "max relative difference"], rows) + [""]
    else:
        out += ["Not run (no LibTorch side).", ""]

    out += ["### FLOPs per step, and the FMA peak", ""]
    out += [textwrap.dedent(gemm_flops.__doc__.split("\n", 2)[2]).strip().replace("\n", " "), ""]
    rows = []
    for config in dict.fromkeys(c for c, _ in runs):
        train, forward = gemm_flops(config)
        rows.append([config, f"{forward / 1e6:,.1f}",
                     "-" if config == "infer" else f"{train / 1e6:,.1f}"])
    out += table(["configuration", "forward MFLOP", "training step MFLOP"], rows) + [""]
    probe = meta["probe"]
    if probe:
        runs_text = "; ".join(
            f"{when} " + ", ".join(f"{t} thread(s) {g:.1f} ({100 * share:.0f}%)"
                                   for t, (g, share) in p.items())
            for when, p in probe["runs"].items())
        out += [f"FMA peak (`bench/fma_peak`: {probe['chains']} independent chains of "
                f"`acc = acc * m + a` per thread on {probe['arch']} batches of {probe['lanes']} "
                "floats, 2 FLOPs per lane, by the wall clock, the best of several runs), GFLOP/s "
                "and, in brackets, the share of the cores the probe had in its best run (below "
                "100% when other processes ran, and then the peak is understated and every "
                "fraction of it overstated): " + runs_text + ". The higher of the two is the "
                "peak: " + ", ".join(f"**{g:.1f}** on {t} thread(s)" for t, g in peak.items())
                + ".", ""]
    else:
        out += ["FMA peak: not measured (`bench/fma_peak` was not built).", ""]

    out += ["### Machine and versions", ""]
    out += [f"- {machine()}", f"- {first_line(['g++', '--version'])}; build: {build_flags()}"]
    out += [f"- Debian packages: {package_versions()}"]
    out += [f"- Python {platform.python_version()} (`{PYTHON}`), torch {torch_version()}"]
    probe_text = ", ".join(f"{core} {gflops:.0f}" for core, gflops in meta["blas_probe"].items())
    cores = {NAMES[side]: sorted({run.get("blas_core", "?")
                                  for results in runs.values() for run in results.get(side, [])})
             for side in ("libtorch", "pytorch") if side in sides}
    out += [f"- OpenBLAS under torch, sgemm 1024 on 1 thread, GFLOP/s by OPENBLAS_CORETYPE: "
            f"{probe_text}; PyTorch and LibTorch ran with **{meta['coretype']}** (OpenBLAS "
            "reported its kernels as: "
            + "; ".join(f"{name} {', '.join(c)}" for name, c in cores.items()) + ")."]
    out += ["", END]
    quote = [f"Measured {started} UTC on {machine().split(';')[0]}, load average "
             f"{loads[0]:.2f}-{loads[1]:.2f}"
             + (" (a `--quick` harness check, not a measurement)" if extra else "")
             + "; ms per training step (inference: per call), medians; *vs LibTorch* and *vs "
             "PyTorch* = their time / ours; % of FMA peak counts the matrix products' FLOPs.",
             ""] + summary_rows(runs, peak) + ["", memory_verdict(runs), ""]
    quote += loaded_probe_warning(meta["probe"], "see `bench/RESULTS.md`")
    return "\n".join(map(wrap, out)) + "\n", "\n".join(map(wrap, quote)).rstrip("\n") + "\n"


def wrap(line):
    """Prose and list items at the repository's 100 columns; tables and headings as they are."""
    if line[:1] in ("|", "#", "<", ""):
        return line
    indent = "  " if line.startswith("- ") else ""
    return textwrap.fill(line, width=100, subsequent_indent=indent, break_on_hyphens=False,
                         break_long_words=False)


def first_line(command):
    try:
        return subprocess.run(command, capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return f"{command[0]}: unavailable"


def machine():
    info = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    field = lambda name: (re.search(rf"^{name}:\s*(.*)$", info, re.M) or [None, "?"])[1]
    avx512 = "AVX-512" if "avx512f" in field("Flags") else "no AVX-512"
    return (f"{field('Model name')} (family {field('CPU family')}, model {field('Model')}), "
            f"{os.cpu_count()} logical cores, {avx512}, "
            f"L2 {field('L2 cache')}, L3 {field('L3 cache')}; {platform.platform()}")


def build_flags():
    cache = os.path.join(ROOT, "build/release/CMakeCache.txt")
    try:
        text = open(cache).read()
    except OSError:
        return "unknown (no build/release/CMakeCache.txt)"
    get = lambda name: (re.search(rf"^{name}:\w+=(.*)$", text, re.M) or [None, "?"])[1]
    return (f"CMAKE_BUILD_TYPE={get('CMAKE_BUILD_TYPE')} "
            f"(`{get('CMAKE_CXX_FLAGS_RELEASE')}`), TAPEGRAD_NATIVE={get('TAPEGRAD_NATIVE')}")


def package_versions():
    names = ["libxsimd-dev", "libfmt-dev", "libopenblas0-pthread", "python3-torch", "libtorch-dev"]
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n"] + names,
                         capture_output=True, text=True).stdout
    return ", ".join(line.strip() for line in out.splitlines() if line.strip())


def torch_version():
    out = subprocess.run([PYTHON, "-c", "import torch; print(torch.__version__)"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "unavailable"


def replace_between(path, begin, end, section):
    """Puts section (which starts with begin and ends with end) in place of that part of path."""
    text = open(path).read()
    if begin not in text or end not in text:
        log(f"{os.path.relpath(path)} has no {begin} ... {end} markers; left as it is")
        return
    head, rest = text.split(begin, 1)
    with open(path, "w") as f:
        f.write(head + section.rstrip("\n") + rest.split(end, 1)[1])
    log(f"wrote {os.path.relpath(path)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="one round of one repeat each, for trying the harness; writes "
                             "nothing without --write")
    parser.add_argument("--configs", default=",".join(DIMS))
    parser.add_argument("--no-write", action="store_true",
                        help="print, do not touch RESULTS.md and README.md")
    parser.add_argument("--write", action="store_true",
                        help="write RESULTS.md and README.md even with --quick")
    args = parser.parse_args()
    if args.write and args.no_write:
        parser.error("--write and --no-write contradict each other")
    write = args.write or not (args.no_write or args.quick)
    configs = [c for c in args.configs.split(",") if c]
    for c in configs:
        if c not in DIMS:
            parser.error(f"unknown configuration '{c}' (known: {', '.join(DIMS)})")
    rounds, extra = (1, ["--repeats", "1"]) if args.quick else (args.rounds, [])
    sides = SIDES
    if not os.access(command_for("libtorch")[0], os.X_OK):
        log(f"{command_for('libtorch')[0]} is missing (Debian's libtorch-dev was not installed "
            "when the benchmarks were built): comparing with PyTorch only")
        sides = ("tapegrad", "pytorch")

    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    load_start = os.getloadavg()[0]
    clock = time.monotonic()
    coretype, blas_probe = best_coretype()
    checked = check_losses(configs, coretype) if "libtorch" in sides else {}
    peak_start, probe = fma_peak(args.quick)
    runs = measure(configs, rounds, extra, coretype, sides)
    peak_end, _ = fma_peak(args.quick)
    peak = {t: max(peak_start[t][0], peak_end[t][0]) for t in peak_start}
    if probe:
        probe["runs"] = {"at the start": peak_start, "at the end": peak_end}
    auto_big = {}
    if "big" in configs and coretype != "auto":
        for threads in THREADS:
            # one repeat: at up to 4x PyTorch's best time per step, this is for orientation only
            once = ["--repeats", "1"]
            auto_big[threads] = run_side("pytorch", "big", threads, once, "auto")["ms_per_step"]
            log(f"big, {threads} thread(s), PyTorch with auto-detected OpenBLAS: "
                f"{auto_big[threads]:.4g} ms")
    meta = {"rounds": rounds, "extra": extra, "started": started, "peak": peak, "probe": probe,
            "sides": sides, "checked": checked, "auto_big": auto_big, "coretype": coretype,
            "blas_probe": blas_probe, "loads": (load_start, os.getloadavg()[0])}
    section, quote = render(runs, meta)
    log(f"done in {time.monotonic() - clock:.0f} s")
    print(section)
    if write:
        replace_between(RESULTS, BEGIN, END, section)
        replace_between(README, README_BEGIN, README_END,
                        f"{README_BEGIN}\n{quote}{README_END}")
    else:
        log("RESULTS.md and README.md left as they are" + (" (--quick: --write to write them)"
                                                          if args.quick else ""))


if __name__ == "__main__":
    main()
