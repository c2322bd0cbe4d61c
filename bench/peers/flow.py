"""PyTorch reference of anneal's RealNVP flow rows: one reverse-KL gradient on the 2^6-component
grid mixture (d = 6, means at {+-1}^6, variance 0.5), a RealNVP flow of 6 affine coupling layers
(alternating masks; conditioners tanh MLPs 256 x 256 with s and t heads), batch 500:

- `--estimator standard`: the reparameterized gradient of mean(log q(x) - log p(x)), x = T(z);
- `--estimator path`: the path gradient (the score terms of the parameters dropped): log q(x) is
  evaluated through the inverse flow with the parameters held fixed, so gradients reach the
  parameters only through x = T(z). This is the usual way to write it in PyTorch; anneal's fast
  path gradient computes the same quantity in one forward pass.

Written for this repository so that docs/performance.md's PyTorch column can be rerun from it.

    python3 bench/peers/flow.py --estimator standard [--threads 1] [--reps 20]
"""

import argparse
import itertools
import math

import torch
from torch import nn

from timing import report  # the shared timing of this folder's references

LOG_2PI = math.log(2 * math.pi)
DIM = 6


def grid_mixture_log_p(x, loc=1.0, sigma2=0.5):
    means = torch.tensor(list(itertools.product([-loc, loc], repeat=DIM)))  # [64, 6]
    sq = ((x.unsqueeze(1) - means.unsqueeze(0)) ** 2).sum(-1)
    return (
        torch.logsumexp(-0.5 * sq / sigma2, 1)
        - math.log(means.shape[0])
        - 0.5 * DIM * (LOG_2PI + math.log(sigma2))
    )


class Coupling(nn.Module):
    def __init__(self, mask, hidden=256):
        super().__init__()
        self.register_buffer("mask", mask)
        self.net = nn.Sequential(
            nn.Linear(DIM, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh()
        )
        self.s = nn.Linear(hidden, DIM)
        self.t = nn.Linear(hidden, DIM)
        for head in (self.s, self.t):
            nn.init.normal_(head.weight, std=0.01)
            nn.init.zeros_(head.bias)

    def shift_scale(self, x):
        h = self.net(x * self.mask)
        free = 1 - self.mask
        return self.s(h) * free, self.t(h) * free

    def forward(self, x):
        s, t = self.shift_scale(x)
        return x * torch.exp(s) + t, s.sum(1)

    def inverse(self, y):
        s, t = self.shift_scale(y)  # the kept part is the same before and after
        return (y - t) * torch.exp(-s), -s.sum(1)


class Flow(nn.Module):
    def __init__(self, layers=6):
        super().__init__()
        masks = [torch.tensor([float((i + l) % 2 == 0) for i in range(DIM)]) for l in range(layers)]
        self.layers = nn.ModuleList(Coupling(m) for m in masks)

    def forward(self, z):
        """x = T(z) and log q(x) = log N(z) - log|det dT/dz|."""
        log_q = -0.5 * (z * z).sum(1) - 0.5 * DIM * LOG_2PI
        x = z
        for layer in self.layers:
            x, log_det = layer(x)
            log_q = log_q - log_det
        return x, log_q

    def log_prob(self, x):
        """log q(x) through the inverse flow."""
        log_det = torch.zeros(x.shape[0])
        for layer in reversed(self.layers):
            x, ld = layer.inverse(x)
            log_det = log_det + ld
        return -0.5 * (x * x).sum(1) - 0.5 * DIM * LOG_2PI + log_det


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--estimator", default="standard", choices=["standard", "path"])
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    flow = Flow()
    params = list(flow.parameters())

    def gradient():
        z = torch.randn(args.batch, DIM)
        flow.zero_grad()
        x, log_q = flow(z)
        if args.estimator == "path":
            # log q(x) with the parameters held fixed: gradients reach them only through x.
            for p in params:
                p.requires_grad_(False)
            log_q = flow.log_prob(x)
            for p in params:
                p.requires_grad_(True)
        loss = (log_q - grid_mixture_log_p(x)).mean()
        loss.backward()
        return loss.item()

    report(gradient, args.reps, args.threads, "loss", warmup=3)


if __name__ == "__main__":
    main()
