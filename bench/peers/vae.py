"""PyTorch reference of anneal's VAE bench rows: one training iteration (loss, gradient, Adam step
at lr 1e-3) at batch 100 of binary 784-pixel data, latent 50, encoder and decoder with two tanh
layers of 200, a diagonal Gaussian encoder (mean and log scale heads) and a Bernoulli decoder.
`--objective iwae`: the ELBO with one draw (K = 1) or the IWAE bound with K draws, both as
log-mean-exp of the K log-weights log p(x, z) - log q(z | x). `--objective ais` (Ding & Freedman's
AIS-trained decoder): K chains per image anneal from q(z | x) to p(z | x) over T linear
temperatures with MH-corrected HMC (L leapfrog steps, step 0.1), off the tape; the decoder follows
the normalized AIS weights' sum of grad log p(x, z_k) at the final states, the encoder its ELBO.
`--objective ula|uha`: one learned chain per image (64 ULA steps from step 0.002, or 32 UHA steps
from 0.05 with learned damping and mass; learned per-step step sizes and schedule) from q(z | x)
to p(z | x); encoder, decoder and sampler follow the chain's extended-space ELBO.
Written for this repository so that docs/performance.md's PyTorch column can be rerun from it.

    python3 bench/peers/vae.py --k 5 [--threads 1] [--reps 20]
    python3 bench/peers/vae.py --objective ais --k 5 --temps 5 --leapfrog 5

Prints one JSON line: {"ms_per_iter_median": ..., "bound": ..., "reps": ...} (for `ais`,
"bound" is minus the surrogate loss).
"""

import argparse
import math

import torch
from torch import nn

from timing import report  # the shared timing of this folder's references

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

    def log_joint(self, x, z):
        logits = self.decoder(z)
        log_lik = (x * logits - nn.functional.softplus(logits)).sum(-1)
        return log_lik - 0.5 * ((z * z).sum(-1) + self.latent * LOG_2PI)

    def ais_loss(self, x, k, temps, leapfrog, step=0.1):
        """The AIS-trained decoder's surrogate loss plus the encoder's negative ELBO."""
        b = x.shape[0]
        with torch.no_grad():
            h = self.encoder(x)
            mean, log_scale = self.mean(h), self.log_scale(h)
            xs = x.repeat(k, 1)
            m, ls = mean.repeat(k, 1), log_scale.repeat(k, 1)

            inv_var = torch.exp(-2 * ls)

            def parts(z):
                """log q, log p(x, z) and their gradients at z (the joint's by autodiff)."""
                with torch.enable_grad():
                    zz = z.detach().requires_grad_(True)
                    lj = self.log_joint(xs, zz)
                    (gj,) = torch.autograd.grad(lj.sum(), zz)
                d = z - m
                lq = -(0.5 * d * d * inv_var + ls + 0.5 * LOG_2PI).sum(-1)
                return lq, lj.detach(), -d * inv_var, gj

            z = m + torch.exp(ls) * torch.randn_like(m)
            lq, lj, gq, gj = parts(z)
            log_w = torch.zeros(b * k)
            betas = torch.linspace(0, 1, temps + 1).tolist()
            for t in range(1, temps + 1):
                bp, bt = betas[t - 1], betas[t]
                lg = (1 - bt) * lq + bt * lj
                log_w += lg - ((1 - bp) * lq + bp * lj)
                p = torch.randn_like(z)
                q = p + 0.5 * step * ((1 - bt) * gq + bt * gj)
                zn = z
                for i in range(leapfrog):
                    zn = zn + step * q
                    lqn, ljn, gqn, gjn = parts(zn)
                    gn = (1 - bt) * gqn + bt * gjn
                    if i < leapfrog - 1:
                        q = q + step * gn
                q = q + 0.5 * step * gn
                lgn = (1 - bt) * lqn + bt * ljn
                log_accept = lgn - 0.5 * (q * q).sum(-1) - lg + 0.5 * (p * p).sum(-1)
                accept = torch.log(torch.rand(b * k)) < torch.nan_to_num(log_accept, nan=-1e30)
                a = accept.unsqueeze(1)
                z = torch.where(a, zn, z)
                lq, lj = torch.where(accept, lqn, lq), torch.where(accept, ljn, lj)
                gq, gj = torch.where(a, gqn, gq), torch.where(a, gjn, gj)
            weights = torch.softmax(log_w.view(k, b), 0)
        decoder = -(weights * self.log_joint(xs, z).view(k, b)).sum(0).mean()
        # The encoder on its own ELBO (one draw), the decoder held fixed there.
        h = self.encoder(x)
        mean, log_scale = self.mean(h), self.log_scale(h)
        eps = torch.randn_like(mean)
        z1 = mean + torch.exp(log_scale) * eps
        for p_ in self.decoder.parameters():
            p_.requires_grad_(False)
        elbo = self.log_joint(x, z1) + (0.5 * eps * eps + log_scale + 0.5 * LOG_2PI).sum(-1)
        for p_ in self.decoder.parameters():
            p_.requires_grad_(True)
        return decoder - elbo.mean()

    def add_sampler(self, kind, steps, step):
        """Learned ULA / UHA parameters: per-step log step sizes, schedule logits, and for UHA the
        damping (a logit) and the diagonal mass (its log)."""
        self.kind, self.steps = kind, steps
        self.log_steps = nn.Parameter(torch.full((steps,), math.log(step)))
        self.schedule = nn.Parameter(torch.zeros(steps))
        self.eta_logit = nn.Parameter(torch.tensor(math.log(9.0)))
        self.log_mass = nn.Parameter(torch.zeros(self.latent))

    def chain_bound(self, x):
        """The extended-space ELBO of one learned chain per image from q(z | x) to p(z | x), on the
        tape (the chain's scores differentiated again for the gradient)."""
        h = self.encoder(x)
        mean, log_scale = self.mean(h), self.log_scale(h)
        inv_var = torch.exp(-2 * log_scale)
        betas = torch.cat([torch.zeros(1), torch.cumsum(torch.softmax(self.schedule, 0), 0)])

        def parts(z):
            lj = self.log_joint(x, z)
            (gj,) = torch.autograd.grad(lj.sum(), z, create_graph=True)
            d = z - mean
            lq = -(0.5 * d * d * inv_var + log_scale + 0.5 * LOG_2PI).sum(-1)
            return lq, lj, -d * inv_var, gj

        z = mean + torch.exp(log_scale) * torch.randn_like(mean)
        lq, lj, gq, gj = parts(z)
        log_w = torch.zeros(x.shape[0])
        if self.kind == "uha":
            eta = torch.sigmoid(self.eta_logit)
            mass = torch.exp(self.log_mass)
            v = torch.sqrt(mass) * torch.randn_like(z)

            def log_n_v(v):
                return -0.5 * (v * v / mass + self.log_mass + LOG_2PI).sum(-1)

        for k in range(1, self.steps + 1):
            eps = torch.exp(self.log_steps[k - 1])
            bp, b = betas[k - 1], betas[k]
            lg_prev = (1 - bp) * lq + bp * lj
            g = (1 - b) * gq + b * gj
            if self.kind == "ula":
                noise = torch.randn_like(z)
                z_new = z + eps * g + torch.sqrt(2 * eps) * noise
                lq, lj, gq, gj = parts(z_new)
                g_new = (1 - b) * gq + b * gj
                back = z - z_new - eps * g_new
                log_w = log_w + (1 - b) * lq + b * lj - lg_prev
                log_w = log_w + (-(back * back).sum(-1) + 2 * eps * (noise * noise).sum(-1)) / (4 * eps)
                z = z_new
            else:
                v = eta * v + torch.sqrt(1 - eta * eta) * torch.sqrt(mass) * torch.randn_like(z)
                v_half = v + 0.5 * eps * g
                z = z + eps * v_half / mass
                lq, lj, gq, gj = parts(z)
                v_new = v_half + 0.5 * eps * ((1 - b) * gq + b * gj)
                log_w = log_w + (1 - b) * lq + b * lj + log_n_v(v_new) - lg_prev - log_n_v(v)
                v = v_new
        return log_w.mean()

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
    parser.add_argument("--objective", default="iwae", choices=["iwae", "ais", "ula", "uha"])
    parser.add_argument("--k", type=int, default=1)
    parser.add_argument("--temps", type=int, default=5)
    parser.add_argument("--leapfrog", type=int, default=5)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = (torch.rand(args.batch, 784) < 0.13).float()
    model = Vae()
    if args.objective in ("ula", "uha"):
        # The MCD paper's VAE setting: 64 ULA or 32 UHA steps.
        ula = args.objective == "ula"
        model.add_sampler(args.objective, 64 if ula else 32, 0.002 if ula else 0.05)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        if args.objective == "ais":
            loss = model.ais_loss(x, args.k, args.temps, args.leapfrog)
        elif args.objective in ("ula", "uha"):
            loss = -model.chain_bound(x)
        else:
            loss = -model.bound(x, args.k)
        loss.backward()
        optimizer.step()
        return -loss.item()

    report(step, args.reps, args.threads, "bound", warmup=3)


if __name__ == "__main__":
    main()
