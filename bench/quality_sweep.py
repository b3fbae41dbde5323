"""How the defaults of `mdn fit` were chosen: the harness's data sets and sizes, fitted by `mdn fit`
with one setting changed at a time, scored on held-out rows against the true density.

    /usr/bin/python3 bench/quality_sweep.py --variant NAME:FLAGS [--variant ...] [--sets a,b]
        [--sizes 100,1000] [--seeds 1,2,3] [--log FILE] [--mdn build/release/examples/mdn]

Each --variant is a name and the extra flags of `mdn fit`, e.g. 'lr1e-2:--lr 0.01'; FLAGS may hold
{noise:F}, replaced by F n^(-1/(4+d)) for the training rows n and columns d (Rothfuss et al.'s
rule of thumb with factor F), e.g. 'noise0.25:--noise-reg {noise:0.25}'. Prints, per variant,
the median over seeds of the held-out NLL's gap to the true density for each set and size, and
the mean gap over all; every fit is one JSON line in --log. The data are bench/quality_data.py's,
written under build/quality/data (shared with bench/quality).
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quality_data as qd  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "build", "quality", "data")


def expand(flags, name, rows):
    xs, ys = qd.COLUMNS[name]
    d = len(xs) + len(ys)
    return re.sub(r"\{noise:([0-9.]+)\}",
                  lambda m: f"{float(m.group(1)) * rows ** (-1 / (4 + d)):.6g}", flags)


def fit_and_score(mdn, name, rows, seed, flags, workdir):
    train, test, true_nll = qd.data_files(DATA, name, rows, seed)
    model = os.path.join(workdir, "sweep.tgm")
    _, ys = qd.COLUMNS[name]
    command = [mdn, "fit", "--data", train, "--y", ",".join(ys), "--out", model, "--quiet",
               "--seed", str(seed)] + expand(flags, name, rows).split()
    start = time.perf_counter()
    fit = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if fit.returncode != 0:
        return {"error": fit.stderr.strip(), "command": " ".join(command)}
    score = subprocess.run([mdn, "eval", "--model", model, "--data", test, "--json"],
                           capture_output=True, text=True, check=True)
    result = json.loads(score.stdout)
    result.update(true_nll=true_nll, gap=result["nll"] - true_nll if result["nll"] is not None
                  else None, seconds=seconds)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", required=True)
    parser.add_argument("--sets", default=",".join(qd.SETS))
    parser.add_argument("--sizes", default="100,300,1000,5000")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--log", default=os.path.join(ROOT, "build", "quality", "sweep.jsonl"))
    parser.add_argument("--mdn", default=os.path.join(ROOT, "build", "release", "examples", "mdn"))
    args = parser.parse_args()
    workdir = os.path.join(ROOT, "build", "quality", f"sweep-{os.getpid()}")
    os.makedirs(workdir, exist_ok=True)
    sets, sizes = args.sets.split(","), [int(s) for s in args.sizes.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    for variant in args.variant:
        label, _, flags = variant.partition(":")
        gaps = {}
        for name in sets:
            for rows in sizes:
                for seed in seeds:
                    r = fit_and_score(args.mdn, name, rows, seed, flags, workdir)
                    r.update(variant=label, flags=flags, set=name, rows=rows, seed=seed)
                    with open(args.log, "a") as log:
                        log.write(json.dumps(r) + "\n")
                    if r.get("gap") is not None:
                        gaps.setdefault((name, rows), []).append(r["gap"])
                    else:
                        print(f"{label} {name} {rows} seed {seed}: {r.get('error', 'NaN NLL')}",
                              file=sys.stderr)
        medians = {k: statistics.median(v) for k, v in gaps.items()}
        cells = " ".join(f"{n[:6]}/{r}={g:.3f}" for (n, r), g in medians.items())
        print(f"{label}: mean gap {statistics.mean(medians.values()):.4f} | {cells}", flush=True)


if __name__ == "__main__":
    main()
