"""PyTorch reference of anneal's bench row for a user's own target: one AIS run with MH-corrected
HMC (100 steps, 1000 particles, step 0.05, 5 leapfrog steps, linear schedule, geometric path from
N(0, I)) on the hierarchical logistic regression of examples/targets/hierarchical-logistic.mjs,
written as a user would write it: the log density in torch ops, its score by autograd. The target's
log density and score at the current particles are kept from step to step (as anneal keeps them in
its particle state), so each transition evaluates the target once per leapfrog step.

    python3 bench/peers/user_target.py [--threads 1] [--reps 5]

Prints one JSON line: {"ms_per_iter_median": ..., "log_z": ..., "reps": ...}.
Needs PyTorch on the CPU (Debian: apt-get install -y python3-torch libopenblas0-pthread).
"""

import argparse
import math

import torch

from timing import report  # the shared timing of this folder's references

ROWS, COVARIATES = 500, 20


def data():
    """The module's data set, from the same formula (float64, then float32)."""
    i = torch.arange(ROWS, dtype=torch.float64).unsqueeze(1)
    j = torch.arange(COVARIATES, dtype=torch.float64).unsqueeze(0)
    x = torch.sin(1.3 * i + 0.7 * j + 0.01 * i * j)
    eta = torch.sin(2.1 * i.squeeze(1)) + x @ torch.cos(j.squeeze(0))
    return x.float(), (eta > 0).float()


def hierarchical_logistic():
    x, y = data()
    xt = x.t().contiguous()
    d = COVARIATES + 1

    def log_p(z):
        log_sigma, w = z[:, :1], z[:, 1:]
        log_prior = (
            -0.5 * log_sigma * log_sigma
            - COVARIATES * log_sigma
            - 0.5 * d * math.log(2 * math.pi)
            - 0.5 * (w * w).sum(1, keepdim=True) / torch.exp(2 * log_sigma)
        )
        eta = w @ xt
        log_lik = (eta * y - torch.nn.functional.softplus(eta)).sum(1, keepdim=True)
        return (log_prior + log_lik).squeeze(1)

    def log_p_and_score(z):
        with torch.enable_grad():
            z = z.detach().requires_grad_(True)
            lp = log_p(z)
            (score,) = torch.autograd.grad(lp.sum(), z)
        return lp.detach(), score

    return d, log_p_and_score


def ais_hmc(target, dim, steps, n, step_size, leapfrog, gen):
    """AIS with MH-HMC; the target's log p and score at z are carried with z."""
    z = torch.randn(n, dim, generator=gen)
    lt, st = target(z)
    log_w = torch.zeros(n)
    betas = torch.linspace(0, 1, steps + 1).tolist()
    log_norm = -0.5 * dim * math.log(2 * math.pi)

    def path(beta, z, lt, st):
        log_q = -0.5 * (z * z).sum(1) + log_norm
        return (1 - beta) * log_q + beta * lt, (1 - beta) * (-z) + beta * st

    for k in range(1, steps + 1):
        beta, prev = betas[k], betas[k - 1]
        log_q = -0.5 * (z * z).sum(1) + log_norm
        log_w += (beta - prev) * (lt - log_q)
        lp, g = path(beta, z, lt, st)
        p = torch.randn(n, dim, generator=gen)
        x, q = z, p + 0.5 * step_size * g
        for i in range(leapfrog):
            x = x + step_size * q
            lt_x, st_x = target(x)
            lp_x, g = path(beta, x, lt_x, st_x)
            q = q + (step_size if i < leapfrog - 1 else 0.5 * step_size) * g
        log_accept = lp_x - 0.5 * (q * q).sum(1) - lp + 0.5 * (p * p).sum(1)
        log_accept = torch.nan_to_num(log_accept, nan=-math.inf)
        accept = torch.log(torch.rand(n, generator=gen)) < log_accept
        z = torch.where(accept.unsqueeze(1), x, z)
        lt = torch.where(accept, lt_x, lt)
        st = torch.where(accept.unsqueeze(1), st_x, st)
    return z, log_w


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--particles", type=int, default=1000)
    parser.add_argument("--step-size", type=float, default=0.05)
    parser.add_argument("--leapfrog", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dim, target = hierarchical_logistic()
    gen = torch.Generator().manual_seed(0)

    def log_z():
        with torch.no_grad():
            _, log_w = ais_hmc(
                target, dim, args.steps, args.particles, args.step_size, args.leapfrog, gen
            )
        return (torch.logsumexp(log_w, 0) - math.log(args.particles)).item()

    report(log_z, args.reps, args.threads, "log_z")


if __name__ == "__main__":
    main()
