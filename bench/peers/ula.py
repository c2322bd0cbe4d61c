"""PyTorch reference of anneal's learned-ULA training rows: one training iteration (the ELBO, its
gradient, Adam) of the unadjusted Langevin chain on the funnel (d = 10, 32 steps, 1000 particles,
lr 1e-3, gradient clip 10) with learned step sizes, schedule (beta_k = cumsum softmax(logits)) and
initial Gaussian. Each step moves z' = z + delta (grad log gamma_k(z) + u(z, k - 1)) +
sqrt(2 delta) xi and weighs it by gamma_k(z') / gamma_{k-1}(z) times the backward kernel (the same
step from z' with the control subtracted) over the forward one.

- without `--control`: plain ULA (u = 0), anneal's `train ula funnel` baseline;
- `--control`: Controlled Monte Carlo Diffusion, u a learned network (a tanh MLP of width 64 with
  two residual blocks on z and 8 sinusoidal features of the step, its output layer at zero), the
  `train cmcd funnel` row.

Written for this repository so that docs/performance.md's PyTorch column can be rerun from it.

    python3 bench/peers/ula.py [--control] [--threads 1] [--reps 10]
"""

import argparse
import math

import torch

from timing import report  # the shared timing of this folder's references
from uha import funnel_log_p

LOG_2PI = math.log(2 * math.pi)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--control", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    dim, n, steps, step, lr, clip = 10, 1000, 32, 0.01, 1e-3, 10.0

    log_steps = torch.full((steps,), math.log(step), requires_grad=True)
    logits = torch.zeros(steps, requires_grad=True)
    mean = torch.zeros(dim, requires_grad=True)
    log_scale = torch.zeros(dim, requires_grad=True)
    params = [log_steps, logits, mean, log_scale]
    control = None
    if args.control:
        width, features = 64, 8
        net = torch.nn.ModuleDict(
            {
                "inp": torch.nn.Linear(dim + features, width),
                "b0": torch.nn.Linear(width, width),
                "b1": torch.nn.Linear(width, width),
                "out": torch.nn.Linear(width, dim),
            }
        )
        torch.nn.init.zeros_(net["out"].weight)
        torch.nn.init.zeros_(net["out"].bias)
        params += list(net.parameters())
        freqs = torch.tensor([math.pi * 2.0**i for i in range(features // 2)])

        def control(z, k):
            t = torch.tensor(k / steps) * freqs
            time_features = torch.cat([torch.sin(t), torch.cos(t)]).expand(z.shape[0], -1)
            h = torch.tanh(net["inp"](torch.cat([z, time_features], 1)))
            h = h + torch.tanh(net["b0"](h))
            h = h + torch.tanh(net["b1"](h))
            return net["out"](h)

    optimizer = torch.optim.Adam(params, lr=lr)

    def parts(z):
        """log p, its gradient (autodiff, kept on the tape), log q and its gradient at z."""
        with torch.enable_grad():
            zz = z if z.requires_grad else z.detach().requires_grad_(True)
            lp = funnel_log_p(zz)
            (gp,) = torch.autograd.grad(lp.sum(), zz, create_graph=True)
        inv_var = torch.exp(-2 * log_scale)
        diff = z - mean
        lq = -(0.5 * diff * diff * inv_var + log_scale + 0.5 * LOG_2PI).sum(1)
        return lp, gp, lq, -diff * inv_var

    def elbo():
        betas = torch.cat([torch.zeros(1), torch.cumsum(torch.softmax(logits, 0), 0)])
        z = mean + torch.exp(log_scale) * torch.randn(n, dim)
        lp, gp, lq, gq = parts(z)
        log_w = torch.zeros(n)
        for k in range(1, steps + 1):
            delta = torch.exp(log_steps[k - 1])
            b_prev, b = betas[k - 1], betas[k]
            lg_prev = (1 - b_prev) * lq + b_prev * lp
            drift = (1 - b) * gq + b * gp
            if control is not None:
                drift = drift + control(z, k - 1)
            xi = torch.randn(n, dim)
            z_new = z + delta * drift + torch.sqrt(2 * delta) * xi
            lp, gp, lq, gq = parts(z_new)
            back = (1 - b) * gq + b * gp
            if control is not None:
                back = back - control(z_new, k)
            residual = z - z_new - delta * back
            log_back = -(residual * residual).sum(1) / (4 * delta)
            log_fwd = -0.5 * (xi * xi).sum(1)
            log_w = log_w + (1 - b) * lq + b * lp - lg_prev + log_back - log_fwd
            z = z_new
        return log_w.mean()

    def iteration():
        optimizer.zero_grad()
        loss = -elbo()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, clip)
        optimizer.step()
        return -loss.item()

    report(iteration, args.reps, args.threads, "bound")


if __name__ == "__main__":
    main()
