"""PyTorch reference of anneal's learned-UHA training rows: one training iteration (the bound,
its gradient, Adam) of uncorrected Hamiltonian annealing with learned step sizes, schedule
(beta_k = cumsum softmax(logits)), damping and diagonal mass (and, for the funnel, the initial
Gaussian), one leapfrog step per transition, the weight of the extended space (tempering increment
plus the leapfrog's change of the joint density; the momentum refresh cancels):

- `--target funnel`: d = 10, 32 steps, 1000 particles, the ELBO, lr 1e-3, gradient clip 10
  (anneal's `train uha funnel` row); with `--mcd`, UHA-MCD: the backward momentum refresh's mean
  gains (1 - eta^2) M s(z, v', k) from a learned score network (a tanh MLP of width 64 with two
  residual blocks on z, v' and 8 sinusoidal features of the step, its output layer at zero), so
  the refresh densities no longer cancel (the `train uha-mcd funnel` row); with `--refresh euler`
  the refresh is LDVI's Euler step, v' = (1 - h) v + sqrt(2h M) xi with h = sigmoid(logit) learned
  (`--mcd --refresh euler`: the `train ldvi funnel` row); `--control` puts the same network in the
  refresh as underdamped CMCD's control, subtracted from the forward mean (1 - h) v - 2h M u(z, v)
  and added to the backward one (1 - h) v' + 2h M u(z, v') (`--control --refresh euler`: the
  `train cmcd-ud funnel` row);
- `--target dsmcs`: the DSMCS static target (8 unit Gaussians in d = 50, means ~ N(3, I)),
  32 steps, 64 systems of 32 particles, the fixed initial N(0, 9 I), lr 0.01, each system's
  log-mean weight (the SMC bound with `--resample every`: multinomial resampling at every step,
  no gradient through the choice; the importance-weighted bound without), as the `dsmcs none`
  and `dsmcs cat` rows.

Written for this repository so that docs/performance.md's PyTorch column can be rerun from it.

    python3 bench/peers/uha.py --target funnel [--mcd | --control] [--refresh exact|euler]
        [--threads 1] [--reps 10]
"""

import argparse
import math

import torch

from timing import report  # the shared timing of this folder's references

LOG_2PI = math.log(2 * math.pi)


def funnel_log_p(z, scale=3.0):
    d = z.shape[1]
    v, x = z[:, 0], z[:, 1:]
    return (
        -0.5 * v * v / scale**2
        - 0.5 * math.log(2 * math.pi * scale**2)
        - 0.5 * (d - 1) * (LOG_2PI + v)
        - 0.5 * (x * x).sum(1) * torch.exp(-v)
    )


def mixture(means):
    def log_p(z):
        sq = ((z.unsqueeze(1) - means.unsqueeze(0)) ** 2).sum(-1)  # [N, 8]
        return torch.logsumexp(-0.5 * sq, 1) - math.log(means.shape[0]) - 0.5 * z.shape[1] * LOG_2PI

    return log_p


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default="funnel", choices=["funnel", "dsmcs"])
    parser.add_argument("--resample", default="none", choices=["none", "every"])
    parser.add_argument("--mcd", action="store_true")
    parser.add_argument("--control", action="store_true")
    parser.add_argument("--refresh", default="exact", choices=["exact", "euler"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    steps = 32
    if args.target == "funnel":
        dim, n, group, log_p = 10, 1000, None, funnel_log_p
        step, init_scale, learn_initial, lr, clip = 0.01, 1.0, True, 1e-3, 10.0
    else:
        dim, n, group = 50, 64 * 32, 32
        log_p = mixture(3 + torch.randn(8, dim))
        step, init_scale, learn_initial, lr, clip = 0.1, 3.0, False, 0.01, None

    log_steps = torch.full((steps,), math.log(step), requires_grad=True)
    logits = torch.zeros(steps, requires_grad=True)
    euler = args.refresh == "euler"
    # The exact refresh's damping eta starts at 0.9; the Euler step's rate h at 1 - 0.9.
    eta_logit = torch.tensor(math.log(0.1 / 0.9) if euler else math.log(0.9 / 0.1), requires_grad=True)
    log_mass = torch.zeros(dim, requires_grad=True)
    mean = torch.zeros(dim, requires_grad=learn_initial)
    log_scale = torch.full((dim,), math.log(init_scale), requires_grad=learn_initial)
    params = [log_steps, logits, eta_logit, log_mass] + ([mean, log_scale] if learn_initial else [])
    score_net = None
    if args.mcd or args.control:
        width, features = 64, 8
        score_net = torch.nn.ModuleDict(
            {
                "inp": torch.nn.Linear(2 * dim + features, width),
                "b0": torch.nn.Linear(width, width),
                "b1": torch.nn.Linear(width, width),
                "out": torch.nn.Linear(width, dim),
            }
        )
        torch.nn.init.zeros_(score_net["out"].weight)
        torch.nn.init.zeros_(score_net["out"].bias)
        params += list(score_net.parameters())
        freqs = torch.tensor([math.pi * 2.0**i for i in range(features // 2)])

        def score(z, v, k):
            t = torch.tensor(k / steps) * freqs
            time_features = torch.cat([torch.sin(t), torch.cos(t)]).expand(z.shape[0], -1)
            h = torch.tanh(score_net["inp"](torch.cat([z, v, time_features], 1)))
            h = h + torch.tanh(score_net["b0"](h))
            h = h + torch.tanh(score_net["b1"](h))
            return score_net["out"](h)
    optimizer = torch.optim.Adam(params, lr=lr)

    def parts(z):
        """log p, its gradient (autodiff, kept on the tape), log q and its gradient at z."""
        with torch.enable_grad():
            zz = z if z.requires_grad else z.detach().requires_grad_(True)
            lp = log_p(zz)
            (gp,) = torch.autograd.grad(lp.sum(), zz, create_graph=True)
        inv_var = torch.exp(-2 * log_scale)
        diff = z - mean
        lq = -(0.5 * diff * diff * inv_var + log_scale + 0.5 * LOG_2PI).sum(1)
        return lp, gp, lq, -diff * inv_var

    def bound():
        betas = torch.cat([torch.zeros(1), torch.cumsum(torch.softmax(logits, 0), 0)])
        eta = torch.sigmoid(eta_logit)
        mass = torch.exp(log_mass)
        z = mean + torch.exp(log_scale) * torch.randn(n, dim)
        v = torch.sqrt(mass) * torch.randn(n, dim)
        log_w = torch.zeros(n)
        smc = torch.zeros(())  # log-mean weights banked at each resampling, summed over systems

        def log_n_v(v):
            return -0.5 * (v * v / mass + log_mass + LOG_2PI).sum(1)

        lp, gp, lq, gq = parts(z)
        for k in range(1, steps + 1):
            eps = torch.exp(log_steps[k - 1])
            b_prev, b = betas[k - 1], betas[k]
            lg_prev = (1 - b_prev) * lq + b_prev * lp
            # v' ~ N(decay v, refresh M): exact eta and 1 - eta^2, or Euler 1 - h and 2h.
            decay, refresh = (1 - eta, 2 * eta) if euler else (eta, 1 - eta * eta)
            xi = torch.randn(n, dim)
            v0 = v
            mean_v = decay * v
            if args.control:
                mean_v = mean_v - refresh * mass * score(z, v0, k)
            v = mean_v + torch.sqrt(refresh * mass) * xi
            z0 = z
            v_half = v + 0.5 * eps * ((1 - b) * gq + b * gp)
            z = z + eps * v_half / mass
            lp, gp, lq, gq = parts(z)
            v_new = v_half + 0.5 * eps * ((1 - b) * gq + b * gp)
            log_w = log_w + (1 - b) * lq + b * lp + log_n_v(v_new) - lg_prev - log_n_v(v)
            if score_net is not None or euler:
                # The refresh's backward density (with the network's term) over its forward one.
                back_mean = decay * v + (refresh * mass * score(z0, v, k) if score_net is not None else 0)
                log_back = -0.5 * ((v0 - back_mean) ** 2 / (refresh * mass)).sum(1)
                log_fwd = -0.5 * (xi * xi).sum(1)
                log_w = log_w + log_back - log_fwd + log_n_v(v) - log_n_v(v0)
            v = v_new
            if args.resample == "every" and k < steps:
                w = log_w.view(-1, group)
                smc = smc + (torch.logsumexp(w, 1) - math.log(group)).sum()
                idx = torch.multinomial(torch.softmax(w.detach(), 1), group, replacement=True)
                flat = (idx + (torch.arange(w.shape[0]) * group).unsqueeze(1)).reshape(-1)
                z, v, lp, gp, lq, gq = (t[flat] for t in (z, v, lp, gp, lq, gq))
                log_w = torch.zeros(n)
        if group is None:
            return log_w.mean()
        w = log_w.view(-1, group)
        return (smc + (torch.logsumexp(w, 1) - math.log(group)).sum()) / w.shape[0]

    def iteration():
        optimizer.zero_grad()
        loss = -bound()
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(params, clip)
        optimizer.step()
        return -loss.item()

    report(iteration, args.reps, args.threads, "bound")


if __name__ == "__main__":
    main()
