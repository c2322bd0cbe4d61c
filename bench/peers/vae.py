"""PyTorch reference of anneal's VAE bench rows that train on a bound of K importance samples:
one training iteration (loss, gradient, Adam step at lr 1e-3) at batch 100 of binary 784-pixel
data, latent 50, encoder and decoder with two tanh layers of 200, a diagonal Gaussian encoder
(mean and log scale heads) and a Bernoulli decoder; the ELBO with one draw (K = 1) or the IWAE
bound with K draws, both as log-mean-exp of the K log-weights log p(x, z) - log q(z | x).
Written for this repository so that docs/performance.md's PyTorch column can be rerun from it.

    python3 bench/peers/vae.py --k 5 [--threads 1] [--reps 20]

Prints one JSON line: {"ms_per_iter_median": ..., "bound": ..., "reps": ...}.
"""

import argparse
import json
import math
import statistics
import time

import torch
from torch import nn

LOG_2PI = math.log(2 * math.pi)


class Vae(nn.Module):
    def __init__(self, data=784, latent=50, hidden=200):
        super().__init__()
        self.latent = latent
        self.encoder = nn.Sequential(
            nn.Linear(data, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh()
        )
        self.mean = nn.Linear(hidden, latent)
        self.log_scale = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden),
            nn.Tanh(),
            nn.Linear(hidden, hidden),
            nn.Tanh(),
            nn.Linear(hidden, data),
        )

    def bound(self, x, k):
        """Mean over the batch of log (1/K) sum_k p(x, z_k) / q(z_k | x), z_k ~ q(z | x)."""
        h = self.encoder(x)
        mean, log_scale = self.mean(h), self.log_scale(h)
        eps = torch.randn(k, *mean.shape)
        z = mean + torch.exp(log_scale) * eps  # [K, B, latent]
        logits = self.decoder(z)
        log_lik = (x * logits - nn.functional.softplus(logits)).sum(-1)
        log_prior = -0.5 * ((z * z).sum(-1) + self.latent * LOG_2PI)
        log_q = -(0.5 * eps * eps + log_scale + 0.5 * LOG_2PI).sum(-1)
        log_w = log_lik + log_prior - log_q
        return (torch.logsumexp(log_w, 0) - math.log(k)).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=1)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = (torch.rand(args.batch, 784) < 0.13).float()
    model = Vae()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        loss = -model.bound(x, args.k)
        loss.backward()
        optimizer.step()
        return -loss.item()

    for _ in range(3):
        step()  # warm-up
    times, bounds = [], []
    for _ in range(args.reps):
        t = time.perf_counter()
        bounds.append(step())
        times.append(1000 * (time.perf_counter() - t))
    print(
        json.dumps(
            {
                "ms_per_iter_median": statistics.median(times),
                "bound": bounds[-1],
                "reps": args.reps,
                "threads": args.threads,
            }
        )
    )


if __name__ == "__main__":
    main()
