"""Runs the recurrent MDN benchmark on two sides, ours (bench/gru_mdn_train) and PyTorch
(bench/pytorch_gru_mdn.py, torch.nn.GRU), and writes the comparison into bench/RESULTS.md between
the gru-mdn-comparison markers and its summary into README.md between the gru-bench-table markers.

    /usr/bin/python3 bench/compare_gru_mdn.py [--rounds N] [--quick] [--no-write] [--write]

The model: a GRU of hidden size 128 over 32 sequences of 100 steps of 2 features, a mixture density
head (10 diagonal Gaussian components of 2-D targets) at every step; one training step is the
forward pass, the mean NLL of the 3,200 steps, backward through time, an Adam step (lr 1e-3).

Fairness, as compare_mdn.py (whose helpers this script uses): both sides run with
OMP_WAIT_POLICY=PASSIVE, flush-to-zero, N threads (PyTorch: set_num_threads, one inter-op thread,
and OpenBLAS's own threads through OPENBLAS_NUM_THREADS), the OpenBLAS kernel set that gives
torch's sgemm the most GFLOP/s in this run, in separate processes taking turns (the side that goes
first changing each round), medians over rounds of each process's median over its repeats. Before
any timing, the loss check: pytorch_gru_mdn.py writes its initial weights and batch, gru_mdn_train
trains from the same file, and their first losses must agree to LOSS_RTOL, or this script stops:
the two sides then compute the same model. --quick is one round of one repeat, to try the harness;
it writes nothing unless --write is given. Standard library only.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_mdn import (PYTHON, README, RESULTS, ROOT, best_coretype, child_env,  # noqa: E402
                         machine, replace_between, table, wrap)

BEGIN, END = "<!-- gru-mdn-comparison:begin -->", "<!-- gru-mdn-comparison:end -->"
README_BEGIN, README_END = "<!-- gru-bench-table:begin -->", "<!-- gru-bench-table:end -->"
# Keep in step with gru_mdn_train.cpp and pytorch_gru_mdn.py: batch, time, in, out, hidden, K.
DIMS = [32, 100, 2, 2, 128, 10]
THREADS = (1, 2)
SIDES = ("tapegrad", "pytorch")
TARGET = 2.0  # issue 17: at least twice PyTorch's speed on 1 and 2 threads
CHECK_STEPS = 3
LOSS_RTOL = 1e-5


def log(message):
    print(f"compare_gru_mdn: {message}", file=sys.stderr, flush=True)


def command_for(side):
    if side == "tapegrad":
        return [os.environ.get("TAPEGRAD_GRU_MDN_EXE",
                               os.path.join(ROOT, "build/release/bench/gru_mdn_train"))]
    return [PYTHON, os.path.join(ROOT, "bench/pytorch_gru_mdn.py")]


def run_json(command, env):
    out = subprocess.run(command, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"compare_gru_mdn: {' '.join(command)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_losses(coretype):
    """The first CHECK_STEPS losses of both sides from PyTorch's initial weights and batch."""
    with tempfile.TemporaryDirectory(prefix="compare_gru_mdn-") as tmp:
        init = os.path.join(tmp, "gru_mdn.init")
        steps = ["--check-losses", str(CHECK_STEPS)]
        theirs = run_json(command_for("pytorch") + steps + ["--write-init", init],
                          child_env(coretype, 1))["losses"]
        ours = run_json(command_for("tapegrad") + steps + ["--init", init],
                        child_env(coretype, 1))["losses"]
    worst = max(abs(a - b) / max(abs(b), 1e-30) for a, b in zip(ours, theirs))
    log(f"loss check: PyTorch {theirs}, ours {ours}, max relative difference {worst:.2g}")
    if len(ours) != len(theirs) or worst > LOSS_RTOL:
        sys.exit(f"compare_gru_mdn: our losses and PyTorch's differ (relative {worst:.3g} > "
                 f"{LOSS_RTOL:g}): PyTorch {theirs}, ours {ours}; the two sides do not compute the "
                 "same model, so no timing")
    return theirs, ours, worst


def measure(rounds, extra, coretype):
    """{threads: {side: [runs]}}, the sides taking turns, a different one first each round."""
    runs = {}
    for threads in THREADS:
        results = {side: [] for side in SIDES}
        for r in range(rounds):
            order = SIDES[r % 2:] + SIDES[:r % 2]
            for side in order:
                command = command_for(side) + ["--threads", str(threads), "--json"] + extra
                result = run_json(command, child_env(coretype, threads))
                if result["dims"] != DIMS:
                    sys.exit(f"compare_gru_mdn: {side} runs dims {result['dims']}, DIMS here says "
                             f"{DIMS}: keep the three files in step")
                results[side].append(result)
            log(f"{threads} thread(s), round {r + 1}/{rounds}: " + ", ".join(
                f"{s} {results[s][-1]['ms_per_step']:.4g} ms" for s in SIDES))
        runs[threads] = results
    return runs


def median_ms(results, side):
    return statistics.median(run["ms_per_step"] for run in results[side])


def summary(runs):
    rows = []
    for threads, results in runs.items():
        ours, theirs = median_ms(results, "tapegrad"), median_ms(results, "pytorch")
        per_round = [p["ms_per_step"] / t["ms_per_step"]
                     for t, p in zip(results["tapegrad"], results["pytorch"])]
        spread = f"{min(per_round):.2f}-{max(per_round):.2f}" if len(per_round) > 1 else "-"
        ratio = theirs / ours
        rows.append([threads, f"{ours:.3g}", f"{theirs:.3g}", f"**{ratio:.2f}x**", spread,
                     f">= {TARGET:g}x", "met" if ratio >= TARGET else "**missed**",
                     f"{statistics.median(r['peak_rss_mib'] for r in results['tapegrad']):.0f} / "
                     f"{statistics.median(r['peak_rss_mib'] for r in results['pytorch']):.0f}"])
    return table(["threads", "ours ms", "PyTorch ms", "vs PyTorch", "rounds", "target", "verdict",
                  "peak RSS MiB ours / PyTorch"], rows)


def render(runs, meta):
    header = (f"Generated by `bench/compare_gru_mdn.py` (run by `./run bench`) on {meta['started']}"
              f" UTC, {meta['rounds']} round(s) of alternating processes per row"
              + (" (a `--quick` harness check, not a measurement)" if meta["extra"] else "")
              + f"; load average {meta['loads'][0]:.2f} at the start and {meta['loads'][1]:.2f} "
              "at the end.")
    model = ("A GRU (hidden 128) over 32 sequences of 100 steps of 2 features, a mixture density "
             "head (10 diagonal components of 2-D targets) at every step; one step = forward, mean "
             "NLL of the 3,200 steps, `item()`, backward through time, Adam (lr 1e-3). Ours: "
             "`bench/gru_mdn_train.cpp` (`mdn::SequenceMDN`, the fused GRU cell); PyTorch: "
             "`bench/pytorch_gru_mdn.py` (`torch.nn.GRU`, the same head). Milliseconds per training "
             "step, medians; *vs PyTorch* is PyTorch's time over ours.")
    theirs, ours, worst = meta["checked"]
    check = (f"Loss check before timing (both sides from PyTorch's initial weights and batch, one "
             f"thread): PyTorch {', '.join(f'{v:.7g}' for v in theirs)}; ours "
             f"{', '.join(f'{v:.7g}' for v in ours)}; max relative difference {worst:.1g}.")
    section = [BEGIN, "", "## Recurrent MDN (GRU) training against PyTorch", "", header, "", model,
               "", *summary(runs), "", check, "",
               f"PyTorch and ours ran with OPENBLAS_CORETYPE **{meta['coretype']}**; "
               f"{machine()}.", "", END]
    quote = [f"Measured {meta['started']} UTC" + (" (a `--quick` harness check)" if meta["extra"]
                                                   else "") + "; " + model, "",
             *summary(runs)]
    return "\n".join(map(wrap, section)) + "\n", "\n".join(map(wrap, quote)) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.write and args.no_write:
        parser.error("--write and --no-write contradict each other")
    write = args.write or not (args.no_write or args.quick)
    rounds, extra = (1, ["--repeats", "1", "--warmup", "1"]) if args.quick else (args.rounds, [])
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    load_start = os.getloadavg()[0]
    coretype, _ = best_coretype()
    checked = check_losses(coretype)
    runs = measure(rounds, extra, coretype)
    meta = {"started": started, "rounds": rounds, "extra": extra, "coretype": coretype,
            "checked": checked, "loads": (load_start, os.getloadavg()[0])}
    section, quote = render(runs, meta)
    print(section)
    if write:
        replace_between(RESULTS, BEGIN, END, section)
        replace_between(README, README_BEGIN, README_END, f"{README_BEGIN}\n{quote}{README_END}")
    else:
        log("RESULTS.md and README.md left as they are")


if __name__ == "__main__":
    main()
