"""The twin of bench/gru_mdn_train.cpp in PyTorch: a recurrent MDN as a PyTorch user writes it
(torch.nn.GRU, batch first, and a mixture density head at every step: Linear layers for the
mixing logits, the means and the scales, log_softmax, softplus + 1e-3, logsumexp), trained with
Adam on the mean NLL of 32 sequences of 100 steps.

    /usr/bin/python3 bench/pytorch_gru_mdn.py [--threads N] [--warmup W] [--steps S]
        [--repeats R] [--json]
    /usr/bin/python3 bench/pytorch_gru_mdn.py --write-init FILE --check-losses N

The second form is the loss check that bench/compare_gru_mdn.py runs before timing: it writes the
initial weights (under torch's names, which are ours too) and the batch to FILE in the format of
pytorch_mdn.py's write_init, runs N training steps on one thread and prints their losses as JSON;
`gru_mdn_train --init FILE --check-losses N` does the same from the same file, and the two lists
must agree. Debian's python3-torch is importable only by /usr/bin/python3.
"""

import argparse
import ctypes
import json
import math
import os
import statistics
import struct
import sys
import time

# Keep in step with gru_mdn_train.cpp and compare_gru_mdn.py.
BATCH, TIME, DIM_IN, DIM_OUT, HIDDEN, COMPONENTS = 32, 100, 2, 2, 128, 10
WARMUP, STEPS, REPEATS = 3, 10, 5
MIN_SCALE = 1e-3


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=WARMUP)
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write-init", metavar="FILE")
    parser.add_argument("--check-losses", type=int, metavar="N")
    parsed = parser.parse_args()
    if (parsed.write_init is None) != (parsed.check_losses is None):
        parser.error("--write-init and --check-losses go together")
    if parsed.check_losses is not None:
        parsed.threads = 1
    return parsed


args = parse_args()
# torch.set_num_threads does not reach the OpenBLAS threads of Debian's torch: set them first.
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402



# The next four as in pytorch_mdn.py, which cannot be imported (it parses its own arguments).
def peak_rss_mib():
    """VmHWM from /proc/self/status, as the C++ side measures it."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def blas_core():
    """The kernel set of the OpenBLAS torch calls (Debian's torch links it as libblas.so.3)."""
    try:
        get = ctypes.CDLL("libblas.so.3").openblas_get_corename
    except (OSError, AttributeError):
        return "not OpenBLAS"
    get.restype = ctypes.c_char_p
    return get().decode()


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


def write_init(path, model, x, y):
    """Little-endian: b"MDNINIT1", a uint32 count, then per tensor a uint32 name length, the name,
    a uint32 rank, int64 sizes and float32 values; x, y, then the named parameters."""
    tensors = [("x", x), ("y", y)] + list(model.named_parameters())
    with open(path, "wb") as f:
        f.write(b"MDNINIT1" + struct.pack("<I", len(tensors)))
        for name, tensor in tensors:
            data = tensor.detach().to(torch.float32).contiguous()
            encoded = name.encode()
            f.write(struct.pack("<I", len(encoded)) + encoded)
            f.write(struct.pack(f"<I{data.dim()}q", data.dim(), *data.shape))
            f.write(struct.pack(f"<{data.numel()}f", *data.flatten().tolist()))


class RecurrentMDN(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(DIM_IN, HIDDEN, batch_first=True)
        # Named as ours (head.pi, head.mu, head.sigma), so that the loss check can load them.
        self.head = nn.ModuleDict({
            "pi": nn.Linear(HIDDEN, COMPONENTS),
            "mu": nn.Linear(HIDDEN, COMPONENTS * DIM_OUT),
            "sigma": nn.Linear(HIDDEN, COMPONENTS * DIM_OUT),
        })

    def loss(self, x, y):
        h, _ = self.rnn(x)  # (B, T, H)
        h = h.reshape(-1, HIDDEN)
        log_pi = torch.log_softmax(self.head["pi"](h), dim=-1)
        mu = self.head["mu"](h).reshape(-1, COMPONENTS, DIM_OUT)
        sigma = (F.softplus(self.head["sigma"](h)) + MIN_SCALE).reshape(-1, COMPONENTS, DIM_OUT)
        z = (y.reshape(-1, 1, DIM_OUT) - mu) / sigma
        normal_loglik = (-0.5 * torch.einsum("bij,bij->bi", z, z) - torch.log(sigma).sum(-1)
                         - 0.5 * DIM_OUT * math.log(2 * math.pi))
        return -torch.logsumexp(log_pi + normal_loglik, dim=-1).mean()


def main():
    torch.set_flush_denormal(True)
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(20261202)
    model = RecurrentMDN()
    x = torch.randn(BATCH, TIME, DIM_IN)
    y = torch.randn(BATCH, TIME, DIM_OUT)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_value = 0.0

    def step():
        nonlocal loss_value
        optimizer.zero_grad()
        loss = model.loss(x, y)
        loss_value = loss.item()
        loss.backward()
        optimizer.step()

    if args.check_losses:
        # Our names: rnn.weight_ih_l0 ... and head.pi.weight ...
        write_init(args.write_init, model, x, y)
        losses = []
        for _ in range(args.check_losses):
            step()
            losses.append(loss_value)
        print(json.dumps({"side": "pytorch", "losses": losses}))
        return 0
    model.train()
    per_call = time_ms(args.warmup, args.steps, args.repeats, step)
    result = {
        "side": "pytorch", "threads": args.threads,
        "dims": [BATCH, TIME, DIM_IN, DIM_OUT, HIDDEN, COMPONENTS],
        "ms_per_step": statistics.median(per_call), "ms_per_step_all": per_call,
        "final_loss": loss_value, "peak_rss_mib": round(peak_rss_mib(), 1),
        "torch": torch.__version__, "blas_core": blas_core(),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"pytorch GRU-MDN, batch {BATCH}, {TIME} steps, hidden {HIDDEN}, {args.threads} "
              f"thread(s): {result['ms_per_step']:.4g} ms per training step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
