"""The quality harness's data sets, each with its true conditional density p(y | x).

Every set is drawn from numpy's PCG64 generator seeded with (set index, size, seed), so the same
arguments give the same rows on any machine. `log_density(x, y)` is the exact log p(y | x) of the
process that drew the rows, computed as follows:

- bishop: t ~ U(0, 1), x = t + 0.3 sin(2 pi t) + U(-0.1, 0.1); predict t from x (Bishop 1994).
  p(t | x) = 1 / L(x) on {t in [0, 1] : |x - g(t)| <= 0.1} (g(t) = t + 0.3 sin 2 pi t), 0 elsewhere,
  where L(x) is the length of that set. g is monotone on three pieces split at its turning points
  (g'(t) = 0); on each piece the preimage of [x - 0.1, x + 0.1] is one interval, found by bisection
  to machine precision. Exact.
- sine_inverted: the tutorial's x ~ U(-15, 15), y = 0.5 x + 8 sin(0.3 x) + N(0, 1), inverted
  (predict x from y). p(x | y) = phi(y - f(x)) 1{|x| <= 15} / Z(y), Z(y) = int_-15^15 phi(y - f(u)) du
  by composite 16-point Gauss-Legendre on 3000 panels (integrand smooth, |f'| <= 2.9: the
  quadrature error is below 1e-12 relative: `python3 bench/quality_data.py` checks it against
  6000 panels, and that every density integrates to one).
- heteroscedastic: x ~ U(-3, 3), y ~ N(sin(1.5 x) + 0.3 x, s(x)^2), s(x) = 0.08 + 0.4 ((x + 3)/6)^2.
  Exact.
- modes: x ~ U(0, 2); y ~ w0 N(-1.5 x, 0.15^2) + w1 N(0, 0.15^2) + w2 N(1.5 x, 0.15^2) with
  w1 = max(0, 1 - x), w0 = w2 = (1 - w1) / 2: one mode near x = 0, three in the middle, two for
  x > 1. Exact (a finite mixture).
- arc2d: x ~ U(-1, 1), branch b = +-1 with probability 1/2, y = b (x, x^2 - 0.5) + e,
  e ~ N(0, S(x)), S = s^2 [[1, 0.6], [0.6, 1]], s = 0.08 + 0.08 |x|: a 2-D output with
  correlated noise and two branches. Exact (a two-component mixture of 2-D Gaussians).
"""

import math
import os

import numpy as np

SETS = ["bishop", "sine_inverted", "heteroscedastic", "modes", "arc2d"]
# Input and output columns of each set, as written to the CSV files.
COLUMNS = {
    "bishop": (["x"], ["t"]),
    "sine_inverted": (["y"], ["x"]),
    "heteroscedastic": (["x"], ["y"]),
    "modes": (["x"], ["y"]),
    "arc2d": (["x"], ["y1", "y2"]),
}
LOG_2PI = math.log(2 * math.pi)


def generator(name, rows, seed):
    return np.random.Generator(np.random.PCG64([SETS.index(name), rows, seed]))


# --- bishop ----------------------------------------------------------------------------------


def _g(t):
    return t + 0.3 * np.sin(2 * np.pi * t)


# g'(t) = 1 + 0.6 pi cos(2 pi t) = 0 at t1 and 1 - t1
_T1 = math.acos(-1 / (0.6 * math.pi)) / (2 * math.pi)
_PIECES = [(0.0, _T1), (_T1, 1 - _T1), (1 - _T1, 1.0)]


def _inverse_on_piece(value, lo, hi):
    """The t in [lo, hi] where g(t) crosses `value` (g monotone there), clipped to the piece."""
    value = np.asarray(value, dtype=np.float64)
    increasing = _g(hi) > _g(lo)
    a = np.full_like(value, lo)
    b = np.full_like(value, hi)
    for _ in range(64):  # bisection: 64 halvings reach machine precision on [0, 1]
        mid = 0.5 * (a + b)
        below = (_g(mid) < value) == increasing
        a = np.where(below, mid, a)
        b = np.where(below, b, mid)
    return 0.5 * (a + b)


def bishop_length(x):
    """L(x): the length of {t in [0, 1] : |x - g(t)| <= 0.1}."""
    total = np.zeros_like(np.asarray(x, dtype=np.float64))
    for lo, hi in _PIECES:
        ends = sorted([_g(lo), _g(hi)])
        lower = np.clip(x - 0.1, ends[0], ends[1])
        upper = np.clip(x + 0.1, ends[0], ends[1])
        total += np.abs(_inverse_on_piece(upper, lo, hi) - _inverse_on_piece(lower, lo, hi))
    return total


def bishop_draw(rng, n):
    t = rng.uniform(0, 1, n)
    x = _g(t) + rng.uniform(-0.1, 0.1, n)
    return x[:, None], t[:, None]


def bishop_log_density(x, y):
    x, t = x[:, 0], y[:, 0]
    inside = (t >= 0) & (t <= 1) & (np.abs(x - _g(t)) <= 0.1)
    return np.where(inside, -np.log(bishop_length(x)), -np.inf)


# --- sine_inverted ---------------------------------------------------------------------------


def _f(x):
    return 0.5 * x + 8 * np.sin(0.3 * x)


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(16)


def _sine_normaliser(y, panels=3000):
    edges = np.linspace(-15, 15, panels + 1)
    half = 0.5 * (edges[1:] - edges[:-1])
    centre = 0.5 * (edges[1:] + edges[:-1])
    u = (centre[:, None] + half[:, None] * _GL_NODES[None, :]).ravel()
    w = (half[:, None] * _GL_WEIGHTS[None, :]).ravel()
    fu = _f(u)
    out = np.empty(len(y))
    for start in range(0, len(y), 256):  # in blocks: [block, nodes] stays small
        yy = y[start : start + 256, None]
        out[start : start + 256] = (np.exp(-0.5 * (yy - fu[None, :]) ** 2) * w).sum(1)
    return out / math.sqrt(2 * math.pi)


def sine_draw(rng, n):
    x = rng.uniform(-15, 15, n)
    y = _f(x) + rng.normal(0, 1, n)
    return y[:, None], x[:, None]  # inverted: the input is y, the output x


def sine_log_density(inp, out):
    y, x = inp[:, 0], out[:, 0]
    inside = np.abs(x) <= 15
    unique_y, which = np.unique(y, return_inverse=True)  # one quadrature per distinct input
    log_z = np.log(_sine_normaliser(unique_y))[which]
    return np.where(inside, -0.5 * (y - _f(x)) ** 2 - 0.5 * LOG_2PI - log_z, -np.inf)


# --- heteroscedastic -------------------------------------------------------------------------


def _het_mean(x):
    return np.sin(1.5 * x) + 0.3 * x


def _het_scale(x):
    return 0.08 + 0.4 * ((x + 3) / 6) ** 2


def het_draw(rng, n):
    x = rng.uniform(-3, 3, n)
    y = _het_mean(x) + _het_scale(x) * rng.normal(0, 1, n)
    return x[:, None], y[:, None]


def het_log_density(x, y):
    x, y = x[:, 0], y[:, 0]
    s = _het_scale(x)
    return -0.5 * ((y - _het_mean(x)) / s) ** 2 - np.log(s) - 0.5 * LOG_2PI


# --- modes -----------------------------------------------------------------------------------

_MODES_SCALE = 0.15


def _modes_parts(x):
    w1 = np.maximum(0, 1 - x)
    w0 = (1 - w1) / 2
    return [(w0, -1.5 * x), (w1, 0 * x), (w0, 1.5 * x)]


def modes_draw(rng, n):
    x = rng.uniform(0, 2, n)
    u = rng.uniform(0, 1, n)
    (w0, m0), (w1, m1), (_, m2) = _modes_parts(x)
    mean = np.where(u < w0, m0, np.where(u < w0 + w1, m1, m2))
    y = mean + _MODES_SCALE * rng.normal(0, 1, n)
    return x[:, None], y[:, None]


def modes_log_density(x, y):
    x, y = x[:, 0], y[:, 0]
    terms = []
    for w, m in _modes_parts(x):
        with np.errstate(divide="ignore"):
            terms.append(np.log(w) - 0.5 * ((y - m) / _MODES_SCALE) ** 2 - math.log(_MODES_SCALE)
                         - 0.5 * LOG_2PI)
    return np.logaddexp.reduce(np.stack(terms), axis=0)


# --- arc2d -----------------------------------------------------------------------------------

_ARC_RHO = 0.6


def _arc_scale(x):
    return 0.08 + 0.08 * np.abs(x)


def arc_draw(rng, n):
    x = rng.uniform(-1, 1, n)
    b = np.where(rng.uniform(0, 1, n) < 0.5, -1.0, 1.0)
    z1, z2 = rng.normal(0, 1, n), rng.normal(0, 1, n)
    s = _arc_scale(x)
    e1 = s * z1
    e2 = s * (_ARC_RHO * z1 + math.sqrt(1 - _ARC_RHO**2) * z2)
    y = np.stack([b * x + e1, b * (x**2 - 0.5) + e2], axis=1)
    return x[:, None], y


def arc_log_density(x, y):
    x = x[:, 0]
    s = _arc_scale(x)
    det = s**4 * (1 - _ARC_RHO**2)
    terms = []
    for b in (-1.0, 1.0):
        d1 = y[:, 0] - b * x
        d2 = y[:, 1] - b * (x**2 - 0.5)
        quad = (d1**2 - 2 * _ARC_RHO * d1 * d2 + d2**2) / (s**2 * (1 - _ARC_RHO**2))
        terms.append(math.log(0.5) - 0.5 * quad - 0.5 * np.log(det) - LOG_2PI)
    return np.logaddexp(terms[0], terms[1])


# ---------------------------------------------------------------------------------------------

_DRAW = {
    "bishop": bishop_draw,
    "sine_inverted": sine_draw,
    "heteroscedastic": het_draw,
    "modes": modes_draw,
    "arc2d": arc_draw,
}
_LOG_DENSITY = {
    "bishop": bishop_log_density,
    "sine_inverted": sine_log_density,
    "heteroscedastic": het_log_density,
    "modes": modes_log_density,
    "arc2d": arc_log_density,
}


def draw(name, rows, seed):
    """(x [rows, in], y [rows, out]) of a set, the same for the same arguments."""
    return _DRAW[name](generator(name, rows, seed), rows)


def log_density(name, x, y):
    """The exact log p(y | x) of each row."""
    return _LOG_DENSITY[name](np.asarray(x, np.float64), np.asarray(y, np.float64))


def write_csv(path, name, x, y):
    xs, ys = COLUMNS[name]
    with open(path, "w") as f:
        f.write(",".join(xs + ys) + "\n")
        for row in np.hstack([x, y]):
            f.write(",".join(f"{v:.9g}" for v in row) + "\n")


TEST_ROWS = 10000  # held-out rows per (set, seed): the NLL's standard error is about 0.01


def data_files(directory, name, rows, seed):
    """The training and held-out CSV files of (set, rows, seed) under `directory`, written once,
    and the true density's NLL on the held-out rows. Held-out rows come from seed 1000 + seed, so
    they are never training rows, and are the same for every training size."""
    os.makedirs(directory, exist_ok=True)
    train = os.path.join(directory, f"{name}_{rows}_{seed}.csv")
    test = os.path.join(directory, f"{name}_test_{seed}.csv")
    truth = os.path.join(directory, f"{name}_test_{seed}.true")
    if not os.path.exists(train):
        write_csv(train + ".tmp", name, *draw(name, rows, seed))
        os.replace(train + ".tmp", train)
    if not os.path.exists(truth):
        x, y = draw(name, TEST_ROWS, 1000 + seed)
        write_csv(test + ".tmp", name, x, y)
        os.replace(test + ".tmp", test)
        with open(truth + ".tmp", "w") as f:
            f.write(repr(float(-log_density(name, x, y).mean())))
        os.replace(truth + ".tmp", truth)
    with open(truth) as f:
        return train, test, float(f.read())


def _self_check():
    """The quadrature against twice as many panels, and each density integrating to one."""
    y = np.linspace(-20, 20, 41)
    a, b = _sine_normaliser(y), _sine_normaliser(y, panels=6000)
    assert np.max(np.abs(a / b - 1)) < 1e-12, "sine_inverted: the quadrature has not converged"
    grid = np.linspace(-20, 20, 200001)
    for name in ["bishop", "sine_inverted", "heteroscedastic", "modes"]:
        xin, _ = draw(name, 3, 0)
        for xi in xin[:, 0]:
            dens = np.exp(log_density(name, np.full((len(grid), 1), xi), grid[:, None]))
            mass = np.trapz(dens, grid)
            assert abs(mass - 1) < 2e-3, f"{name}: p(y | x = {xi}) integrates to {mass}"


if __name__ == "__main__":
    _self_check()
    for name in SETS:
        x, y = draw(name, 20000, 99)
        print(f"{name}: true NLL on 20000 rows {-np.mean(log_density(name, x, y)):.4f}")
