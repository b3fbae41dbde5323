"""The quality harness (./run bench quality): mdn fit's defaults, mdn tune and a PyTorch MDN
written as the seeds write one, under one protocol, on data whose true conditional density is
known; writes bench/QUALITY.md.

    /usr/bin/python3 bench/quality.py [--sets a,b] [--sizes 100,300,1000,5000] [--seeds 1,2,3]
        [--tune-trials 6] [--tune-folds 3] [--order-seeds 10] [--fresh] [--no-write]

Protocol, the same for every method: for each set (bench/quality_data.py), training size and seed,
the method fits the training rows (nothing else: no held-out rows, no knowledge of the truth) and
is scored on 10,000 fresh rows of the same process: held-out NLL in nats per point, its gap to the
true density's NLL on the same rows, CRPS and the share of targets inside the central 90%
interval (one output only). Medians over the seeds. Ours: `mdn fit --data train.csv --out m.tgm`
with no other flag (but --seed), then `mdn eval --json`; `mdn tune --trials N` the same way; the
PyTorch script is bench/quality_pytorch.py. The time of a default fit is the wall time of the
`mdn fit` process on 2 OpenMP threads (OMP_WAIT_POLICY=PASSIVE), with its CPU time beside it: the
build machines are shared, and the wall time grows with whatever else runs.

Every result is kept in build/quality/results.jsonl under the build's identity (the mdn binary's
size and time), so an interrupted run carries on where it stopped; --fresh starts over.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quality_data as qd  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "build", "quality")
DATA = os.path.join(WORK, "data")
MDN = os.environ.get("TAPEGRAD_MDN_EXE", os.path.join(ROOT, "build", "release", "examples", "mdn"))
PYTHON = "/usr/bin/python3"  # the only interpreter that can import Debian's python3-torch
OUTPUT = os.path.join(ROOT, "bench", "QUALITY.md")
NOTES = os.path.join(ROOT, "bench", "quality_notes.md")
METHODS = ["defaults", "tune", "pytorch"]


def run_timed(command, env=None):
    """Runs a command; returns (stdout, wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.stdout, wall, cpu


def environment(threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_WAIT_POLICY="PASSIVE")
    env.pop("OPENBLAS_CORETYPE", None)
    return env


def score(model, test):
    out, _, _ = run_timed([MDN, "eval", "--model", model, "--data", test, "--json"])
    return json.loads(out)


def run_method(method, name, rows, seed, tune_trials, tune_folds):
    train, test, true_nll = qd.data_files(DATA, name, rows, seed)
    _, ys = qd.COLUMNS[name]
    model = os.path.join(WORK, f"model-{method}.tgm")
    if method == "defaults":
        _, wall, cpu = run_timed([MDN, "fit", "--data", train, "--y", ",".join(ys), "--out", model,
                                  "--quiet", "--seed", str(seed)], environment(2))
        result = score(model, test)
    elif method == "tune":
        _, wall, cpu = run_timed([MDN, "tune", "--data", train, "--y", ",".join(ys), "--out",
                                  model, "--quiet", "--seed", str(seed), "--trials",
                                  str(tune_trials), "--folds", str(tune_folds)], environment(2))
        result = score(model, test)
    else:
        out, wall, cpu = run_timed([PYTHON, os.path.join(ROOT, "bench", "quality_pytorch.py"),
                                    "--train", train, "--test", test, "--outputs", str(len(ys)),
                                    "--seed", str(seed), "--threads", "2"], environment(2))
        result = json.loads(out)
    result.update(true_nll=true_nll, wall=wall, cpu=cpu)
    return result


def build_identity():
    stat = os.stat(MDN)
    return f"{stat.st_size}-{int(stat.st_mtime)}"


def load_cache(path, identity):
    cache = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                if r.get("build") == identity or r["method"] == "pytorch":
                    cache[(r["method"], r["set"], r["rows"], r["seed"], r.get("trials"))] = r
    return cache


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=3):
    if value is None:
        return "-"
    return f"{value:.{digits}f}"


def order_selection(seeds, cache, log, identity):
    """`mdn fit --components 1,2,3,4,5` on Bishop's problem with 1000 rows, one fit per seed."""
    chosen = []
    for seed in seeds:
        key = ("order", "bishop", 1000, seed, None)
        if key not in cache:
            train, _, _ = qd.data_files(DATA, "bishop", 1000, seed)
            out, wall, cpu = run_timed([MDN, "fit", "--data", train, "--out",
                                        os.path.join(WORK, "model-order.tgm"), "--quiet",
                                        "--seed", str(seed), "--components", "1,2,3,4,5"],
                                       environment(2))
            k = int(out.split("fitted p(")[1].split(" with ")[1].split(" components")[0])
            cache[key] = {"method": "order", "set": "bishop", "rows": 1000, "seed": seed,
                          "chosen": k, "table": out, "wall": wall, "cpu": cpu, "build": identity}
            log.write(json.dumps(cache[key]) + "\n")
            log.flush()
            print(f"order selection, seed {seed}: K = {k} ({wall:.0f} s)", flush=True)
        chosen.append(cache[key]["chosen"])
    return chosen


def write_report(args, results, chosen):
    sets, sizes = args.sets.split(","), [int(s) for s in args.sizes.split(",")]
    cell = {}
    for (method, name, rows), runs in results.items():
        cell[(method, name, rows)] = {
            key: median([r.get(key) for r in runs])
            for key in ["nll", "true_nll", "crps", "coverage90", "wall", "cpu"]}
        gaps = [r["nll"] - r["true_nll"] if r.get("nll") is not None else None for r in runs]
        cell[(method, name, rows)]["gap"] = median(gaps)
        cell[(method, name, rows)]["finite"] = all(
            r.get("nll") is not None and abs(r["nll"]) < float("inf") for r in runs)

    def get(method, name, rows, key):
        return cell.get((method, name, rows), {}).get(key)

    # The targets
    bishop = get("defaults", "bishop", 1000, "nll")
    beat, half, finite, lines = True, True, True, []
    for name in sets:
        for rows in sizes:
            ours, theirs = get("defaults", name, rows, "gap"), get("pytorch", name, rows, "gap")
            if ours is None or theirs is None:
                continue
            beat = beat and theirs - ours >= 0.03
            if name in ("bishop", "sine_inverted"):
                half = half and ours <= theirs / 2
            finite = finite and get("defaults", name, rows, "finite")
    times = [get("defaults", "bishop", 1000, "wall"), get("defaults", "bishop", 1000, "cpu")]
    k3 = sum(1 for k in chosen if k == 3)

    def verdict(ok):
        return "met" if ok else "**missed**"

    lines += [
        "# Quality against known densities",
        "",
        "Regenerated by `./run bench quality` (bench/quality.py; the hand-written notes at the end",
        "come from bench/quality_notes.md). Do not edit by hand.",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        f"(shared build VM: wall times grow with its load; CPU times are steadier). "
        f"Seeds {args.seeds}; `mdn tune --trials {args.tune_trials} --folds {args.tune_folds}`.",
        "",
    ]
    if args.missing:
        lines += [f"**Incomplete**: written from the results kept so far (`--report-only`); "
                  f"{len(args.missing)} runs are missing, shown as -, and the verdicts below "
                  "speak only of the runs there.", ""]
    lines += [
        "## Targets (medians of the seeds)",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        f"| Bishop, 1000 rows, no flags: held-out NLL <= -1.20 (true density "
        f"{fmt(get('defaults', 'bishop', 1000, 'true_nll'))}) | {fmt(bishop)} | "
        f"{verdict(bishop is not None and bishop <= -1.20)} |",
        f"| every set and size: defaults beat PyTorch by >= 0.03 nats | see the table "
        f"(column 'PyTorch - ours') | {verdict(beat)} |",
        f"| Bishop and inverted sine: defaults close >= half of PyTorch's gap to the truth | see "
        f"the table | {verdict(half)} |",
        f"| no NaN or infinite held-out NLL with the defaults | | {verdict(finite)} |",
        f"| `--components 1,2,3,4,5` picks K = 3 on Bishop (1000 rows) in >= 9 of 10 seeds | "
        f"{k3} of {len(chosen)} (chosen: {', '.join(map(str, chosen))}) | "
        f"{verdict(len(chosen) >= 10 and k3 >= 9)} |",
        f"| a default fit of 1000 rows under 10 s on 2 cores | {fmt(times[0], 1)} s wall, "
        f"{fmt(times[1], 1)} s CPU (Bishop, median) | "
        f"{verdict(times[0] is not None and times[0] < 10)} |",
        "",
        "## Held-out NLL (nats per point) and its gap to the true density",
        "",
        "Gap = NLL - the true density's NLL on the same 10,000 held-out rows (0 is perfect).",
        "",
        "| set | rows | true NLL | defaults | gap | tune | gap | PyTorch | gap | PyTorch - ours |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in sets:
        for rows in sizes:
            ours, theirs = get("defaults", name, rows, "gap"), get("pytorch", name, rows, "gap")
            lines.append(
                f"| {name} | {rows} | {fmt(get('defaults', name, rows, 'true_nll'))} | "
                f"{fmt(get('defaults', name, rows, 'nll'))} | {fmt(ours)} | "
                f"{fmt(get('tune', name, rows, 'nll'))} | {fmt(get('tune', name, rows, 'gap'))} | "
                f"{fmt(get('pytorch', name, rows, 'nll'))} | {fmt(theirs)} | "
                f"{fmt(theirs - ours if ours is not None and theirs is not None else None)} |")
    lines += [
        "",
        "## CRPS and 90% coverage (one output), and the time of a fit",
        "",
        "CRPS in the target's units (lower is better); coverage: share of held-out targets inside",
        "the central 90% interval (0.9 when calibrated). Times: median wall seconds of the fit",
        "(defaults and tune: the `mdn` process on 2 threads; PyTorch: its training loop, 2 threads).",
        "",
        "| set | rows | CRPS defaults | tune | PyTorch | cov90 defaults | tune | PyTorch | "
        "s defaults | s tune | s PyTorch |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in sets:
        for rows in sizes:
            if name == "arc2d":
                continue
            lines.append(
                f"| {name} | {rows} | " + " | ".join(
                    fmt(get(m, name, rows, "crps"), 4) for m in METHODS) + " | " + " | ".join(
                    fmt(get(m, name, rows, "coverage90")) for m in METHODS) + " | " + " | ".join(
                    fmt(get(m, name, rows, "wall"), 1) for m in METHODS) + " |")
    lines += ["", "## How the true densities' NLL is computed", ""]
    lines += [line[4:] if line.startswith("    ") else line
              for line in qd.__doc__.strip().splitlines()]
    lines += ["", "## Model-order selection on Bishop's problem", "",
              "`mdn fit --data bishop_1000_<seed>.csv --components 1,2,3,4,5` (5-fold "
              "cross-validation, one-standard-error rule); the table of the first seed:", "",
              "```"]
    if chosen:
        first = next(iter(r for r in results.get(("order", "bishop", 1000), [])), None)
        if first:
            lines += [line for line in first["table"].strip().splitlines()]
    lines += ["```", ""]
    if os.path.exists(NOTES):
        with open(NOTES) as f:
            lines += [f.read().rstrip(), ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(qd.SETS))
    parser.add_argument("--sizes", default="100,300,1000,5000")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--tune-trials", type=int, default=6)
    parser.add_argument("--tune-folds", type=int, default=3)
    parser.add_argument("--order-seeds", type=int, default=10)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--fresh", action="store_true", help="ignore the results kept so far")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite QUALITY.md")
    parser.add_argument("--report-only", action="store_true",
                        help="run nothing: write the report from the results kept so far")
    args = parser.parse_args()
    if not os.access(MDN, os.X_OK):
        sys.exit(f"bench/quality: {MDN} is missing; build it with ./run bench quality")
    os.makedirs(WORK, exist_ok=True)
    identity = build_identity()
    cache_path = os.path.join(WORK, "results.jsonl")
    if args.fresh and os.path.exists(cache_path):
        os.remove(cache_path)
    cache = load_cache(cache_path, identity)
    args.missing = []  # with --report-only: the runs not kept yet
    results = {}
    with open(cache_path, "a") as log:
        for rows in [int(s) for s in args.sizes.split(",")]:
            for name in args.sets.split(","):
                for method in args.methods.split(","):
                    for seed in [int(s) for s in args.seeds.split(",")]:
                        trials = args.tune_trials if method == "tune" else None
                        key = (method, name, rows, seed, trials)
                        if key not in cache and args.report_only:
                            args.missing.append(key)
                            continue
                        if key not in cache:
                            r = run_method(method, name, rows, seed, args.tune_trials,
                                           args.tune_folds)
                            r.update(method=method, set=name, rows=rows, seed=seed,
                                     trials=trials, build=identity)
                            cache[key] = r
                            log.write(json.dumps(r) + "\n")
                            log.flush()
                            print(f"{method:8} {name:16} {rows:5} seed {seed}: NLL "
                                  f"{fmt(r.get('nll'))} (true {fmt(r['true_nll'])}), "
                                  f"{r['wall']:.1f} s", flush=True)
                        results.setdefault((method, name, rows), []).append(cache[key])
        seeds = range(1, args.order_seeds + 1)
        if args.report_only:
            seeds = [s for s in seeds if ("order", "bishop", 1000, s, None) in cache]
        chosen = order_selection(seeds, cache, log, identity)
    results[("order", "bishop", 1000)] = [cache[("order", "bishop", 1000, s, None)] for s in seeds]
    report = write_report(args, results, chosen)
    if args.no_write:
        print(report)
    else:
        with open(OUTPUT + ".tmp", "w") as f:
            f.write(report)
        os.replace(OUTPUT + ".tmp", OUTPUT)
        print(f"bench/quality: wrote {OUTPUT}")


if __name__ == "__main__":
    main()
