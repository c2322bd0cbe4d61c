"""PyTorch reference of anneal's AIS bench rows: one annealed importance sampling run (64 steps,
1000 particles, linear schedule, geometric path from N(0, I)) on Neal's funnel (d = 10) or
Many-Well (d = 32), with ULA (step 0.01; the backward kernel is ULA at the same step from the new
point) or MH-corrected HMC (step 0.05, 5 leapfrog steps, fresh momentum each step). Written for
this repository so that docs/performance.md's PyTorch column can be rerun from it.

    python3 bench/peers/ais.py --target funnel --kernel ula [--threads 1] [--reps 10]

Prints one JSON line: {"ms_per_iter_median": ..., "log_z": ..., "reps": ...}.
Needs PyTorch on the CPU (Debian: apt-get install -y python3-torch libopenblas0-pthread).
"""

import argparse
import math

import torch

from timing import report  # the shared timing of this folder's references


def funnel(d=10, scale=3.0):
    """Neal's funnel: v ~ N(0, scale^2), x_i | v ~ N(0, e^v); normalized. log p and its score."""

    def log_p_and_score(z):
        v, x = z[:, 0], z[:, 1:]
        ev = torch.exp(-v)
        sq = (x * x).sum(1)
        log_p = (
            -0.5 * v * v / scale**2
            - 0.5 * math.log(2 * math.pi * scale**2)
            - 0.5 * (d - 1) * (math.log(2 * math.pi) + v)
            - 0.5 * sq * ev
        )
        score_v = -v / scale**2 - 0.5 * (d - 1) + 0.5 * sq * ev
        score_x = -x * ev.unsqueeze(1)
        return log_p, torch.cat([score_v.unsqueeze(1), score_x], 1)

    return d, log_p_and_score


def many_well(d=32):
    """d/2 double wells on coordinate pairs: -x1^4 + 6 x1^2 + 0.5 x1 - 0.5 x2^2 (unnormalized)."""

    def log_p_and_score(z):
        x1, x2 = z[:, 0::2], z[:, 1::2]
        s1 = x1 * x1
        log_p = (s1 * (6 - s1) + 0.5 * x1 - 0.5 * x2 * x2).sum(1)
        score = torch.empty_like(z)
        score[:, 0::2] = 4 * x1 * (3 - s1) + 0.5
        score[:, 1::2] = -x2
        return log_p, score

    return d, log_p_and_score


TARGETS = {"funnel": funnel, "many-well": many_well, "manywell": many_well}


def annealed(target, beta):
    """The geometric path's log density and score at temperature beta, from N(0, I)."""

    def f(z):
        lp, sc = target(z)
        log_q = -0.5 * (z * z).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi)
        return (1 - beta) * log_q + beta * lp, (1 - beta) * (-z) + beta * sc

    return f


def ais_ula(target, dim, steps, n, step_size, gen):
    z = torch.randn(n, dim, generator=gen)
    log_w = torch.zeros(n)
    betas = torch.linspace(0, 1, steps + 1).tolist()
    noise_sd = math.sqrt(2 * step_size)
    for k in range(1, steps + 1):
        f = annealed(target, betas[k])
        f_prev = annealed(target, betas[k - 1])
        lp, sc = f(z)
        lp_prev, _ = f_prev(z)
        log_w += lp - lp_prev  # the tempering increment at z
        eps = torch.randn(n, dim, generator=gen)
        z_new = z + step_size * sc + noise_sd * eps
        lp_new, sc_new = f(z_new)
        # ULA is not invariant: weight by the backward (ULA from z_new) over the forward kernel.
        back = z - z_new - step_size * sc_new
        log_w += lp_new - lp + (-(back * back).sum(1) + (eps * eps).sum(1) * 2 * step_size) / (
            4 * step_size
        )
        z = z_new
    return z, log_w


def ais_hmc(target, dim, steps, n, step_size, leapfrog, gen):
    z = torch.randn(n, dim, generator=gen)
    log_w = torch.zeros(n)
    betas = torch.linspace(0, 1, steps + 1).tolist()
    for k in range(1, steps + 1):
        f = annealed(target, betas[k])
        lp_prev, _ = annealed(target, betas[k - 1])(z)
        lp, sc = f(z)
        log_w += lp - lp_prev
        p = torch.randn(n, dim, generator=gen)
        x, g, q = z, sc, p + 0.5 * step_size * sc
        for i in range(leapfrog):
            x = x + step_size * q
            lp_x, g = f(x)
            if i < leapfrog - 1:
                q = q + step_size * g
        q = q + 0.5 * step_size * g
        log_accept = lp_x - 0.5 * (q * q).sum(1) - lp + 0.5 * (p * p).sum(1)
        log_accept = torch.nan_to_num(log_accept, nan=-math.inf)
        accept = torch.log(torch.rand(n, generator=gen)) < log_accept
        z = torch.where(accept.unsqueeze(1), x, z)
    return z, log_w


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default="funnel", choices=sorted(TARGETS))
    parser.add_argument("--kernel", default="ula", choices=["ula", "hmc"])
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--particles", type=int, default=1000)
    parser.add_argument("--step-size", type=float, default=None)
    parser.add_argument("--leapfrog", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dim, target = TARGETS[args.target]()
    step = args.step_size if args.step_size is not None else (0.01 if args.kernel == "ula" else 0.05)
    gen = torch.Generator().manual_seed(0)

    def once():
        with torch.no_grad():
            if args.kernel == "ula":
                return ais_ula(target, dim, args.steps, args.particles, step, gen)
            return ais_hmc(target, dim, args.steps, args.particles, step, args.leapfrog, gen)

    def log_z():
        _, log_w = once()
        return (torch.logsumexp(log_w, 0) - math.log(args.particles)).item()

    report(log_z, args.reps, args.threads, "log_z")


if __name__ == "__main__":
    main()
