"""Draws the means of FAB's 40-component mixture again (PyTorch's CPU generator after
torch.manual_seed(0), as FAB's experiments/gmm/run.py does before building its GMM) and the log
density at a few points in float64, for test/benchmark-targets.test.ts's gmm40 case:

    python3 test/reference/gmm40.py
"""

import math

import torch

torch.manual_seed(0)
means = ((torch.rand((40, 2)) - 0.5) * 2 * 40).double()
scale = math.log1p(math.e)  # softplus(1)
print("means[0..2]", means[:3].tolist())
points = torch.tensor([[0.0, 0.0], [-0.3, 21.4], [10.0, -5.0]], dtype=torch.float64)
sq = ((points[:, None, :] - means[None, :, :]) ** 2).sum(-1)
log_comp = -0.5 * sq / scale**2 - math.log(2 * math.pi * scale**2)
print("logp", (torch.logsumexp(log_comp, 1) - math.log(40)).tolist())
