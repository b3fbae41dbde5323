"""The twin of bench/mdn_train.cpp in PyTorch: the same MDN, loss, optimiser, data shapes, steps
and JSON output, written as a PyTorch user writes an MDN (after tonyduan/mdn's blocks.py: an
nn.Module whose forward returns log_pi, mu and sigma, a loss with log_softmax and logsumexp, and
sampling by a search in the cumulative weights). bench/libtorch_mdn.cpp is the same model in C++.

    /usr/bin/python3 bench/pytorch_mdn.py --config tiny|classic|wide|big|infer [--threads N]
        [--warmup W] [--steps S] [--repeats R] [--json]
    /usr/bin/python3 bench/pytorch_mdn.py --config NAME --write-init FILE --check-losses N

The second form is the loss check that bench/compare_mdn.py runs before timing: it writes this
side's initial weights and batch to FILE (the format is in write_init), runs N training steps on
one thread and prints their losses as JSON; `libtorch_mdn --init FILE --check-losses N` does the
same from the same file, and the two lists must agree.

Debian's python3-torch is importable only by /usr/bin/python3. Differences from ours, none of
which changes the work per step: the initial weights (both use PyTorch's default Linear
initialisation, from different generators), and the head's mu and sigma come from one Linear
sliced in two (as in the seed) where ours stacks the head's three products into one of the same
total size.
"""

import argparse
import ctypes
import json
import math
import os
import resource
import statistics
import struct
import sys
import time

# Keep in step with kConfigs in bench/mdn_train.cpp:
# name: (in, out, hidden, K, batch, warmup, steps, repeats)
CONFIGS = {
    "tiny": (1, 1, (32, 32), 5, 128, 20, 200, 5),
    "classic": (1, 1, (64, 64), 10, 512, 10, 100, 5),
    "wide": (8, 2, (256, 256), 16, 1024, 3, 20, 5),
    "big": (32, 4, (1024, 1024), 32, 4096, 1, 2, 5),
    "infer": (1, 1, (64, 64), 10, 10000, 3, 10, 5),
}

MIN_SCALE = 1e-3  # ours: scale = softplus(.) + min_scale, min_scale 1e-3 by default


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, choices=CONFIGS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write-init", metavar="FILE",
                        help="write the initial weights and batch here (the loss check)")
    parser.add_argument("--check-losses", type=int, metavar="N",
                        help="print the losses of the first N steps on one thread and stop")
    parsed = parser.parse_args()
    if (parsed.write_init is None) != (parsed.check_losses is None):
        parser.error("--write-init and --check-losses go together")
    if parsed.check_losses is not None:
        if parsed.check_losses < 1:
            parser.error("--check-losses expects a positive number of steps")
        parsed.threads = 1
    return parsed


args = parse_args()
# torch.set_num_threads does not reach the threads of the OpenBLAS that Debian's torch calls for
# its matrix products: that count has to be in the environment before torch loads it.
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402



def peak_rss_mib():
    """VmHWM from /proc/self/status, which execve resets (as the C++ sides measure it); not
    ru_maxrss, which Linux carries over from the parent process through fork and exec."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


# The interpreter and torch's libraries alone, before any tensor: the rest is the model's.
BASELINE_RSS_MIB = peak_rss_mib()


class MixtureDensityNetwork(nn.Module):
    def __init__(self, dim_in, dim_out, n_components, hidden):
        super().__init__()
        self.dim_out, self.n_components = dim_out, n_components
        layers, width = [], dim_in
        for h in hidden:
            layers += [nn.Linear(width, h), nn.Tanh()]
            width = h
        self.trunk = nn.Sequential(*layers)
        self.pi_network = nn.Linear(width, n_components)
        self.normal_network = nn.Linear(width, 2 * dim_out * n_components)

    def forward(self, x):
        h = self.trunk(x)
        log_pi = torch.log_softmax(self.pi_network(h), dim=-1)
        normal_params = self.normal_network(h)
        mu = normal_params[..., : self.dim_out * self.n_components]
        sigma = F.softplus(normal_params[..., self.dim_out * self.n_components :]) + MIN_SCALE
        mu = mu.reshape(-1, self.n_components, self.dim_out)
        sigma = sigma.reshape(-1, self.n_components, self.dim_out)
        return log_pi, mu, sigma

    def loss(self, x, y):
        log_pi, mu, sigma = self.forward(x)
        z_score = (y.unsqueeze(1) - mu) / sigma
        normal_loglik = (
            -0.5 * torch.einsum("bij,bij->bi", z_score, z_score)
            - torch.sum(torch.log(sigma), dim=-1)
            - 0.5 * self.dim_out * math.log(2 * math.pi)
        )
        loglik = torch.logsumexp(log_pi + normal_loglik, dim=-1)
        return -loglik

    def sample(self, x):
        log_pi, mu, sigma = self.forward(x)
        return self.draw(log_pi, mu, sigma)

    def draw(self, log_pi, mu, sigma):
        cum_pi = torch.cumsum(torch.exp(log_pi), dim=-1)
        rvs = torch.rand(len(log_pi), 1)
        # clamp: rounding can leave cum_pi[-1] just below a draw, and K is out of range
        rand_pi = torch.searchsorted(cum_pi, rvs).clamp(max=self.n_components - 1)
        rand_normal = torch.randn_like(mu) * sigma + mu
        return torch.take_along_dim(rand_normal, indices=rand_pi.unsqueeze(-1), dim=1).squeeze(1)


def blas_core():
    """The kernel set of the OpenBLAS torch calls (Debian's torch links it as libblas.so.3)."""
    try:
        get = ctypes.CDLL("libblas.so.3").openblas_get_corename
    except (OSError, AttributeError):
        return "not OpenBLAS"
    get.restype = ctypes.c_char_p
    return get().decode()


def write_init(path, model, x, y):
    """The initial weights and batch, for libtorch_mdn's load_init: all little-endian, the 8 bytes
    b"MDNINIT1", a uint32 count, then per tensor a uint32 name length, the name (UTF-8), a uint32
    rank, int64 sizes and the float32 values in row-major order; the tensors are x, y and the
    model's named parameters (trunk.0.weight, ..., normal_network.bias)."""
    tensors = [("x", x), ("y", y)] + list(model.named_parameters())
    with open(path, "wb") as f:
        f.write(b"MDNINIT1" + struct.pack("<I", len(tensors)))
        for name, tensor in tensors:
            data = tensor.detach().to(torch.float32).contiguous()
            encoded = name.encode()
            f.write(struct.pack("<I", len(encoded)) + encoded)
            f.write(struct.pack(f"<I{data.dim()}q", data.dim(), *data.shape))
            f.write(struct.pack(f"<{data.numel()}f", *data.flatten().tolist()))


def time_ms(warmup, steps, repeats, body):
    for _ in range(warmup):
        body()
    per_call = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            body()
        per_call.append((time.perf_counter() - start) * 1000.0 / steps)
    return per_call


def main():
    dim_in, dim_out, hidden, k, batch, warmup, steps, repeats = CONFIGS[args.config]
    warmup = warmup if args.warmup is None else args.warmup
    steps = steps if args.steps is None else args.steps
    repeats = repeats if args.repeats is None else args.repeats

    torch.set_flush_denormal(True)  # as ours: denormals slow float arithmetic badly
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(20261202)
    model = MixtureDensityNetwork(dim_in, dim_out, k, hidden)
    x = torch.randn(batch, dim_in)
    y = torch.randn(batch, dim_out)

    timings, loss_value = {}, 0.0
    if args.check_losses:
        write_init(args.write_init, model, x, y)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        losses = []
        for _ in range(args.check_losses):
            optimizer.zero_grad()
            loss = model.loss(x, y).mean()
            losses.append(loss.item())
            loss.backward()
            optimizer.step()
        print(json.dumps({"side": "pytorch", "config": args.config, "losses": losses}))
        return 0
    if args.config == "infer":
        model.eval()
        with torch.no_grad():
            log_pi, mu, sigma = model(x)
            timings["forward_ms"] = time_ms(warmup, steps, repeats, lambda: model(x))
            timings["sample_ms"] = time_ms(
                warmup, steps, repeats, lambda: model.draw(log_pi, mu, sigma)
            )
            timings["forward_sample_ms"] = time_ms(warmup, steps, repeats, lambda: model.sample(x))
    else:
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step():
            nonlocal loss_value
            optimizer.zero_grad()
            loss = model.loss(x, y).mean()
            loss_value = loss.item()
            loss.backward()
            optimizer.step()

        timings["ms_per_step"] = time_ms(warmup, steps, repeats, step)

    rss = peak_rss_mib()
    result = {
        "side": "pytorch",
        "config": args.config,
        "threads": args.threads,
        "batch": batch,
        "dims": [dim_in, dim_out, list(hidden), k],
        "warmup": warmup,
        "steps": steps,
        "repeats": repeats,
        "peak_rss_mib": round(rss, 1),
        "baseline_rss_mib": round(BASELINE_RSS_MIB, 1),
        "final_loss": loss_value,
        "torch": torch.__version__,
        "blas_core": blas_core(),
    }
    for key, values in timings.items():
        result[key] = statistics.median(values)
        result[key + "_all"] = values
    if args.config != "infer":
        result["samples_per_s"] = batch * 1000.0 / result["ms_per_step"]
    if args.json:
        print(json.dumps(result))
    else:
        figures = " ".join(f"{key} {result[key]:.4g}" for key in timings)
        print(
            f"pytorch {args.config}, batch {batch}, {args.threads} thread(s): {figures},"
            f" peak RSS {rss:.1f} MiB"
        )


if __name__ == "__main__":
    sys.exit(main())
