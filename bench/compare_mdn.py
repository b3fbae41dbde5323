"""Runs the MDN benchmark on both sides, ours (bench/mdn_train) and PyTorch (bench/pytorch_mdn.py),
and writes the comparison into bench/RESULTS.md between the mdn-comparison markers, and its
summary table into README.md between the bench-table markers.

    /usr/bin/python3 bench/compare_mdn.py [--rounds N] [--quick] [--configs tiny,big] [--no-write]

Every configuration runs in its own process (so that the peak resident memory is that
configuration's) on 1 and 2 threads. For each configuration and thread count the two sides
alternate, `--rounds` times, the side that goes first changing each round; a side's figure is the
median over rounds of each process's median over its repeats, and the ratio is PyTorch's figure
over ours. Both sides run with OMP_WAIT_POLICY=PASSIVE and flush-to-zero. PyTorch's matrix
products go to Debian's OpenBLAS, whose auto-detection picks its slow generic kernels on the
build machines' CPU: like bench/run for the kernel benchmarks, this script times a torch matmul
under each OPENBLAS_CORETYPE and runs PyTorch with the fastest, and it also times `big` once with
auto-detection, for reference. Standard library only.
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
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"  # the only interpreter that can import Debian's python3-torch
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")
BEGIN, END = "<!-- mdn-comparison:begin -->", "<!-- mdn-comparison:end -->"
README = os.path.join(ROOT, "README.md")  # its Speed section quotes the summary table
README_BEGIN, README_END = "<!-- bench-table:begin -->", "<!-- bench-table:end -->"

# name: (shape for the table, minimum ratio PyTorch/ours asked for)
CONFIGS = {
    "tiny": ("in 1, out 1, hidden 32-32, K 5, batch 128", 20),
    "classic": ("in 1, out 1, hidden 64-64, K 10, batch 512", 10),
    "wide": ("in 8, out 2, hidden 256-256, K 16, batch 1024", 3),
    "big": ("in 32, out 4, hidden 1024-1024, K 32, batch 4096", 1.5),
    "infer": ("classic on 10,000 rows, no tape", 10),
}
INFER_ROWS = [  # key, what, whether the sampling target applies
    ("forward_ms", "forward pass", False),
    ("sample_ms", "draw 1 sample per row", True),
    ("forward_sample_ms", "forward + draw", True),
]
THREADS = (1, 2)
CORETYPES = ("auto", "SapphireRapids", "Cooperlake", "SkylakeX", "Haswell")

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


def child_env(coretype):
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype != "auto":
        env["OPENBLAS_CORETYPE"] = coretype
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


def run_side(side, config, threads, extra, coretype):
    if side == "tapegrad":
        command = [os.environ.get("TAPEGRAD_MDN_EXE",
                                  os.path.join(ROOT, "build/release/bench/mdn_train"))]
    else:
        command = [PYTHON, os.path.join(ROOT, "bench/pytorch_mdn.py")]
    command += ["--config", config, "--threads", str(threads), "--json"] + extra
    out = subprocess.run(command, env=child_env(coretype), capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"compare_mdn: {' '.join(command)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(configs, rounds, extra, coretype):
    """{(config, threads): {"tapegrad": [runs], "pytorch": [runs]}}, sides alternating."""
    runs = {}
    for config in configs:
        for threads in THREADS:
            sides = {"tapegrad": [], "pytorch": []}
            for r in range(rounds):
                order = ("tapegrad", "pytorch") if r % 2 == 0 else ("pytorch", "tapegrad")
                for side in order:
                    sides[side].append(run_side(side, config, threads, extra, coretype))
                key = "ms_per_step" if config != "infer" else "forward_sample_ms"
                log(f"{config}, {threads} thread(s), round {r + 1}/{rounds}: "
                    f"tapegrad {sides['tapegrad'][-1][key]:.4g} ms, "
                    f"PyTorch {sides['pytorch'][-1][key]:.4g} ms")
            runs[(config, threads)] = sides
    return runs


def median_of(runs, key):
    return statistics.median(run[key] for run in runs)


def fmt_ms(ms):
    return f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"


def ratio_cells(sides, key, target):
    ours, theirs = median_of(sides["tapegrad"], key), median_of(sides["pytorch"], key)
    ratio = theirs / ours
    # the per-round ratios show how far one round can be from another on a shared machine
    rounds = [p[key] / t[key] for t, p in zip(sides["tapegrad"], sides["pytorch"])]
    spread = f"{min(rounds):.2f}-{max(rounds):.2f}" if len(rounds) > 1 else "-"
    verdict = "-" if target is None else ("met" if ratio >= target else "**missed**")
    target_text = "-" if target is None else f">= {target}x"
    return [fmt_ms(ours), fmt_ms(theirs), f"**{ratio:.2f}x**", spread, target_text, verdict]


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def render(runs, rounds, extra, coretype, probe, auto_big, started, loads):
    out = [BEGIN, "", "## MDN training and inference against PyTorch", ""]
    out += [
        f"Generated by `bench/compare_mdn.py` (run by `./run bench`) on {started} UTC, "
        f"{rounds} round(s) of alternating processes per row"
        + (f", extra arguments `{' '.join(extra)}`" if extra else "")
        + f". Load average {loads[0]:.2f} at the start and {loads[1]:.2f} at the end "
        "(the 2 cores are shared; absolute times drift, the ratios of one run are comparable).",
        "",
        "One step = zero the gradients, mean NLL of a fixed random batch, `item()`, backward, "
        "Adam (lr 1e-3) step (ours also clears the tape). MLP trunk with tanh, diagonal noise "
        "model. Figures are milliseconds per step (inference: per call), medians; ratio = "
        "PyTorch / ours, so higher is better for us; *rounds* is the range of the per-round "
        "ratios.",
        "",
    ]
    summary = []
    for (config, threads), sides in runs.items():
        shape, target = CONFIGS[config]
        if config == "infer":
            for key, what, targeted in INFER_ROWS:
                cells = ratio_cells(sides, key, target if targeted else None)
                summary.append([f"{config}: {what}", threads] + cells)
            continue
        cells = ratio_cells(sides, "ms_per_step", target)
        summary.append([config, threads] + cells)
        if config == "big":  # the memory target: our peak no higher than PyTorch's
            ours, theirs = (median_of(sides[s], "peak_rss_mib") for s in ("tapegrad", "pytorch"))
            summary.append([f"{config}: peak RSS MiB", threads, f"{ours:.0f}", f"{theirs:.0f}",
                            f"{theirs / ours:.2f}x", "-", "ours <= PyTorch's",
                            "met" if ours <= theirs else "**missed**"])
    summary_table = table(["configuration", "threads", "ours ms", "PyTorch ms", "ratio",
                           "rounds", "target", "verdict"], summary)
    out += summary_table + [""]

    for config in dict.fromkeys(c for c, _ in runs):
        shape, target = CONFIGS[config]
        out += [f"### {config} ({shape})", ""]
        rows = []
        for threads in THREADS:
            if (config, threads) not in runs:
                continue
            sides = runs[(config, threads)]
            rss = (f"{median_of(sides['tapegrad'], 'peak_rss_mib'):.0f} / "
                   f"{median_of(sides['pytorch'], 'peak_rss_mib'):.0f}")
            base = f"{median_of(sides['pytorch'], 'baseline_rss_mib'):.0f}"
            if config == "infer":
                for key, what, targeted in INFER_ROWS:
                    rows.append([what, threads] + ratio_cells(sides, key, None)[:4] + [rss, base])
            else:
                per_s = (f"{median_of(sides['tapegrad'], 'samples_per_s'):,.0f} / "
                         f"{median_of(sides['pytorch'], 'samples_per_s'):,.0f}")
                rows.append(["train step", threads] + ratio_cells(sides, "ms_per_step", None)[:4]
                            + [per_s, rss, base])
        if config == "infer":
            header = ["timed", "threads", "ours ms", "PyTorch ms", "ratio", "rounds",
                      "peak RSS MiB ours / PyTorch", "PyTorch RSS after import"]
        else:
            header = ["timed", "threads", "ours ms", "PyTorch ms", "ratio", "rounds",
                      "samples/s ours / PyTorch", "peak RSS MiB ours / PyTorch",
                      "PyTorch RSS after import"]
        out += table(header, rows) + [""]
        if config == "big" and auto_big:
            cells = ", ".join(f"{t} thread(s) {fmt_ms(ms)} ms/step" for t, ms in auto_big.items())
            out += [f"PyTorch on `big` with OpenBLAS's auto-detected kernels (no "
                    f"OPENBLAS_CORETYPE), one process of one repeat each: {cells}.", ""]

    out += ["### Machine and versions", ""]
    out += [f"- {machine()}", f"- {first_line(['g++', '--version'])}; build: {build_flags()}"]
    out += [f"- Debian packages: {package_versions()}"]
    out += [f"- Python {platform.python_version()} (`{PYTHON}`), torch {torch_version()}"]
    probe_text = ", ".join(f"{core} {gflops:.0f}" for core, gflops in probe.items())
    out += [f"- OpenBLAS under torch, sgemm 1024 on 1 thread, GFLOP/s by OPENBLAS_CORETYPE: "
            f"{probe_text}; PyTorch ran with **{coretype}**."]
    out += ["", END]
    quote = [f"Measured {started} UTC on {machine().split(';')[0]}; ms per training step "
             "(inference: per call), medians; ratio = PyTorch / ours.", ""] + summary_table
    return "\n".join(map(wrap, out)) + "\n", "\n".join(map(wrap, quote)) + "\n"


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
    names = ["libxsimd-dev", "libfmt-dev", "libopenblas0-pthread", "python3-torch"]
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
                        help="one round of one repeat each: for testing the harness")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    args = parser.parse_args()
    configs = [c for c in args.configs.split(",") if c]
    for c in configs:
        if c not in CONFIGS:
            parser.error(f"unknown configuration '{c}' (known: {', '.join(CONFIGS)})")
    rounds, extra = (1, ["--repeats", "1"]) if args.quick else (args.rounds, [])

    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    load_start = os.getloadavg()[0]
    clock = time.monotonic()
    coretype, probe = best_coretype()
    runs = measure(configs, rounds, extra, coretype)
    auto_big = {}
    if "big" in configs and coretype != "auto":
        for threads in THREADS:
            # one repeat: at up to 4x PyTorch's best time per step, this is for orientation only
            once = ["--repeats", "1"]
            auto_big[threads] = run_side("pytorch", "big", threads, once, "auto")["ms_per_step"]
            log(f"big, {threads} thread(s), PyTorch with auto-detected OpenBLAS: "
                f"{auto_big[threads]:.4g} ms")
    section, quote = render(runs, rounds, extra, coretype, probe, auto_big, started,
                            (load_start, os.getloadavg()[0]))
    log(f"done in {time.monotonic() - clock:.0f} s")
    print(section)
    if not args.no_write:
        replace_between(RESULTS, BEGIN, END, section)
        replace_between(README, README_BEGIN, README_END,
                        f"{README_BEGIN}\n{quote}{README_END}")


if __name__ == "__main__":
    main()
