"""The yardstick of bench/quality: an MDN fitted as a PyTorch user writes one after the seeds.

    /usr/bin/python3 bench/quality_pytorch.py --train TRAIN.csv --test TEST.csv --outputs N
        [--seed S] [--threads T] [--steps 3000] [--lr 1e-3] [--components 5]

The network and loss are bench/pytorch_mdn.py's (tonyduan/mdn's blocks: a tanh trunk of 64, 64, a
linear layer for the mixing logits and one for the means and scales, log_softmax and logsumexp,
scale = softplus + 1e-3), with K = 5 components (over-parameterised, as that seed advises), trained
as the seeds train: Adam at 1e-3 on the full batch for 3000 steps, keeping the last weights, no
validation split. One courtesy the seeds do not show: x and y are standardised with the training
rows' mean and standard deviation (a practitioner's habit; without it the tutorial's inverted sine,
with values up to 15, trains far worse), and every figure is mapped back to the data's units.

The last --outputs columns of the CSV files are y, the others x. Prints one JSON object: the
held-out NLL (nats per point), for one output the CRPS and the share of targets inside the
central 90% interval, computed with the same formulas as mdn/univariate.cpp, and the fit's seconds.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--train", required=True)
parser.add_argument("--test", required=True)
parser.add_argument("--outputs", type=int, default=1)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--steps", type=int, default=3000)
parser.add_argument("--lr", type=float, default=1e-3)
parser.add_argument("--components", type=int, default=5)
args = parser.parse_args()
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)  # before torch loads OpenBLAS

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

MIN_SCALE = 1e-3


class MixtureDensityNetwork(nn.Module):
    def __init__(self, dim_in, dim_out, n_components, hidden=(64, 64)):
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
        params = self.normal_network(h)
        mu = params[..., : self.dim_out * self.n_components]
        sigma = F.softplus(params[..., self.dim_out * self.n_components :]) + MIN_SCALE
        return (log_pi, mu.reshape(-1, self.n_components, self.dim_out),
                sigma.reshape(-1, self.n_components, self.dim_out))

    def log_prob(self, x, y):
        log_pi, mu, sigma = self.forward(x)
        z = (y.unsqueeze(1) - mu) / sigma
        normal = (-0.5 * (z * z).sum(-1) - torch.log(sigma).sum(-1)
                  - 0.5 * self.dim_out * math.log(2 * math.pi))
        return torch.logsumexp(log_pi + normal, dim=-1)


def read(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return data[:, : -args.outputs], data[:, -args.outputs :]


def normal_cdf(z):
    return 0.5 * (1 + torch.erf(z / math.sqrt(2)))


def crps(pi, mu, s, y):
    """Closed-form CRPS of 1-D Gaussian mixtures (Grimit et al. 2006), as mdn/univariate.cpp."""

    def a(m, var):
        sd = torch.sqrt(var)
        z = m / sd
        return 2 * sd * torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) + m * (2 * normal_cdf(z) - 1)

    first = (pi * a(y[:, None] - mu, s * s)).sum(1)
    second = (pi[:, :, None] * pi[:, None, :]
              * a(mu[:, :, None] - mu[:, None, :], s[:, :, None] ** 2 + s[:, None, :] ** 2)).sum((1, 2))
    return first - 0.5 * second


def quantile(pi, mu, s, p):
    lo = (mu - 10 * s).min(1).values
    hi = (mu + 10 * s).max(1).values
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        below = (pi * normal_cdf((mid[:, None] - mu) / s)).sum(1) < p
        lo, hi = torch.where(below, mid, lo), torch.where(below, hi, mid)
    return 0.5 * (lo + hi)


def main():
    torch.set_flush_denormal(True)
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    x, y = read(args.train)
    x_test, y_test = read(args.test)
    x_mean, x_std = x.mean(0), x.std(0)
    y_mean, y_std = y.mean(0), y.std(0)
    as_tensor = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    xs, ys = as_tensor((x - x_mean) / x_std), as_tensor((y - y_mean) / y_std)

    start = time.perf_counter()
    model = MixtureDensityNetwork(x.shape[1], y.shape[1], args.components)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    for _ in range(args.steps):
        optimizer.zero_grad()
        loss = -model.log_prob(xs, ys).mean()
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start

    model.eval()
    with torch.no_grad():
        xt = as_tensor((x_test - x_mean) / x_std)
        yt = torch.tensor(y_test, dtype=torch.float64)
        log_pi, mu, sigma = (t.double() for t in model(xt))
        # back to the data's units: mu -> std mu + mean, sigma -> std sigma
        mu = mu * torch.tensor(y_std) + torch.tensor(y_mean)
        sigma = sigma * torch.tensor(y_std)
        z = (yt[:, None, :] - mu) / sigma
        normal = (-0.5 * (z * z).sum(-1) - torch.log(sigma).sum(-1)
                  - 0.5 * y.shape[1] * math.log(2 * math.pi))
        log_p = torch.logsumexp(log_pi + normal, dim=-1)
        result = {"nll": float(-log_p.mean()), "seconds": seconds, "rows": len(y)}
        if y.shape[1] == 1:
            pi, m, s, t = log_pi.exp(), mu[:, :, 0], sigma[:, :, 0], yt[:, 0]
            result["crps"] = float(crps(pi, m, s, t).mean())
            low, high = quantile(pi, m, s, 0.05), quantile(pi, m, s, 0.95)
            result["coverage90"] = float(((t >= low) & (t <= high)).double().mean())
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
