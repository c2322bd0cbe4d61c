"""Reference log densities of the benchmark targets seeds, brownian and lgcp, computed in float64
with numpy from the models' definitions (written independently of the TypeScript targets), at the
points test/benchmark-targets.test.ts builds. Run: python3 test/reference/benchmark_targets.py
(numpy only). The Finnish pines are read from src/targets/finpines.ts, so both use one copy."""
import json
import math
import pathlib
import re

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]


def point(dim, k):
    """The k-th test point: z_i = 0.4 sin(1.3 i + 0.9 k) + 0.1 k (the test builds the same)."""
    i = np.arange(dim)
    return 0.4 * np.sin(1.3 * i + 0.9 * k) + 0.1 * k


def normal_logpdf(x, loc, scale):
    return -0.5 * ((x - loc) / scale) ** 2 - np.log(scale) - 0.5 * math.log(2 * math.pi)


def seeds(z):
    R = np.array([10, 23, 23, 26, 17, 5, 53, 55, 32, 46, 10, 8, 10, 8, 23, 0, 3, 22, 15, 32, 3.0])
    N = np.array([39, 62, 81, 51, 39, 6, 74, 72, 51, 79, 13, 16, 30, 28, 45, 4, 12, 41, 30, 51, 7.0])
    X1 = np.array([0.0] * 11 + [1.0] * 10)
    X2 = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1.0])
    # sorted parameter names: a_0, a_1, a_12, a_2, b (21), tau (unconstrained: log tau)
    a0, a1, a12, a2 = z[0], z[1], z[2], z[3]
    b = z[4:25]
    u = z[25]
    tau = math.exp(u)
    conc, rate = 0.01, 0.01
    lp = conc * math.log(rate) - math.lgamma(conc) + (conc - 1) * u - rate * tau + u
    lp += sum(normal_logpdf(a, 0.0, 10.0) for a in (a0, a1, a2, a12))
    lp += normal_logpdf(b, 0.0, 1 / math.sqrt(tau)).sum()
    logits = a0 + a1 * X1 + a2 * X2 + a12 * X1 * X2 + b
    for r, n, l in zip(R, N, logits):
        log_choose = math.lgamma(n + 1) - math.lgamma(r + 1) - math.lgamma(n - r + 1)
        # log sigmoid(l) = -log(1 + e^-l); log(1 - sigmoid(l)) = -log(1 + e^l)
        lp += log_choose - r * math.log1p(math.exp(-l)) - (n - r) * math.log1p(math.exp(l))
    return lp


OBS = [0.21592641, 0.118771404, -0.07945447, 0.037677474, -0.27885845, -0.1484156,
       -0.3250906, -0.22957903, -0.44110894, -0.09830782] + [None] * 10 + [
       -0.8786016, -0.83736074, -0.7384849, -0.8939254, -0.7774566, -0.70238715,
       -0.87771565, -0.51853573, -0.6948214, -0.6202789]


def brownian(z):
    softplus = lambda v: math.log1p(math.exp(v))
    s_innov, s_obs = softplus(z[0]), softplus(z[1])
    lp = 0.0
    for raw, s in ((z[0], s_innov), (z[1], s_obs)):
        # LogNormal(0, 2) density of s, and the softplus Jacobian log sigmoid(raw)
        lp += normal_logpdf(math.log(s), 0.0, 2.0) - math.log(s)
        lp += -math.log1p(math.exp(-raw))
    x = z[2:]
    prev = 0.0
    for t in range(30):
        lp += normal_logpdf(x[t], prev, s_innov)
        prev = x[t]
        if OBS[t] is not None:
            lp += normal_logpdf(OBS[t], x[t], s_obs)
    return lp


def pines():
    text = (ROOT / "src/targets/finpines.ts").read_text()
    body = text[text.index("FINPINES_XY"):]
    body = body[body.index("= [") + 3:body.index("];")]
    values = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", body)]
    xy = np.array(values).reshape(-1, 2)
    return np.stack([(xy[:, 0] + 5) / 10, (xy[:, 1] + 8) / 10], axis=1)


def lgcp(z, width):
    pts = pines()
    counts = np.zeros((width, width))
    for x, y in pts:
        r = min(int(math.floor(x * width)), width - 1)
        c = min(int(math.floor(y * width)), width - 1)
        counts[r, c] += 1
    counts = counts.reshape(-1)
    grid = np.array([(i, j) for i in range(width) for j in range(width)], dtype=float)
    dist = np.linalg.norm(grid[:, None, :] - grid[None, :, :], axis=-1)
    K = 1.91 * np.exp(-dist / (width * (1 / 33)))
    L = np.linalg.cholesky(K)
    mu = math.log(len(pts)) - 0.5 * 1.91
    white = np.linalg.solve(L, z - mu)
    n = width * width
    prior = -0.5 * white @ white - 0.5 * n * math.log(2 * math.pi) - np.log(np.diag(L)).sum()
    return prior + np.sum(z * counts - np.exp(z) / n)


out = {
    "seeds": [seeds(point(26, k)) for k in range(3)],
    "brownian": [brownian(point(32, k)) for k in range(3)],
    "lgcp8": [lgcp(point(64, k) + 4, 8) for k in range(3)],
    "lgcp40": [lgcp(point(1600, k) + 4, 40) for k in range(3)],
    "lgcp40Counts": int(sum(1 for _ in pines())),
}
print(json.dumps(out, indent=1))
