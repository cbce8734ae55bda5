#!/usr/bin/env python3
"""PyTorch reference for npm run bench's training section (tests/bench/train-bench.sh).

One epoch of the same ELBO training step `wardrobe train` runs in stage 1 of the default model
(scripts/train-iwae.sh; model/default/MODEL_CARD.md, "Reproduce"), written the way PyTorch's own
VAE example does it (github.com/pytorch/examples, vae/main.py):

  encoder 784 -> hidden... -> (mu, logvar) [latent each], ReLU; decoder latent -> reversed hidden -> 784
  logits; x ~ Bernoulli(grey value) drawn per batch; z = mu + exp(logvar / 2) * eps; loss = mean over the
  batch of (sum of binary cross-entropy with logits + KL(q(z|x) || N(0, I))); Adam (lr 1e-3, betas
  0.9 / 0.999, eps 1e-8); float32; mini-batches of --batch images in a shuffled order.

Timed: the epoch's steps only (binarisation, forward, backward, Adam), with time.perf_counter, after
5 warm-up steps that are not counted; this matches the span `wardrobe train` logs as an epoch's
"seconds". Prints one JSON object: {"engine", "threads", "images", "seconds", "images_per_s", "loss"}.

--threads is PyTorch's intra-op thread count; the matrix products' threads are OpenBLAS's
(OPENBLAS_NUM_THREADS) in Debian's build, which train-bench.sh sets.

Usage: train_epoch_torch.py FASHION_MNIST_DIR [--images 54912] [--hidden 768,512,256] [--latent 16]
       [--batch 128] [--threads 2]
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_images(path):
    """The images of a gzip'd IDX file as float32 [n, 784] in [0, 1]."""
    with gzip.open(path, 'rb') as f:
        data = f.read()
    if int.from_bytes(data[0:4], 'big') != 0x803:
        raise SystemExit(f'{path}: not an IDX image file')
    n, rows, cols = (int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(3))
    pixels = np.frombuffer(data, dtype=np.uint8, offset=16)
    if pixels.size != n * rows * cols:
        raise SystemExit(f'{path}: {pixels.size} pixel bytes, the header says {n * rows * cols}')
    return pixels.reshape(n, rows * cols).astype(np.float32) / 255.0


class Vae(nn.Module):
    def __init__(self, hidden, latent):
        super().__init__()
        sizes = [784] + hidden
        self.encoder = nn.Sequential(*[m for a, b in zip(sizes, sizes[1:]) for m in (nn.Linear(a, b), nn.ReLU())])
        self.mu = nn.Linear(hidden[-1], latent)
        self.logvar = nn.Linear(hidden[-1], latent)
        dec = [latent] + hidden[::-1]
        layers = [m for a, b in zip(dec, dec[1:]) for m in (nn.Linear(a, b), nn.ReLU())]
        self.decoder = nn.Sequential(*layers, nn.Linear(hidden[0], 784))

    def loss(self, x):
        h = self.encoder(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        rec = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction='sum')
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (rec + kl) / x.shape[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('data')
    p.add_argument('--images', type=int, default=54912)
    p.add_argument('--hidden', default='768,512,256')
    p.add_argument('--latent', type=int, default=16)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x_all = torch.from_numpy(read_images(os.path.join(a.data, 'train-images-idx3-ubyte.gz'))[:a.images])
    model = Vae([int(h) for h in a.hidden.split(',')], a.latent)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)

    def step(batch):
        x = torch.bernoulli(batch)
        opt.zero_grad(set_to_none=True)
        loss = model.loss(x)
        loss.backward()
        opt.step()
        return loss.item()

    for i in range(5):  # warm-up, not timed
        step(x_all[i * a.batch:(i + 1) * a.batch])
    order = torch.randperm(x_all.shape[0])
    steps = x_all.shape[0] // a.batch
    start = time.perf_counter()
    total = 0.0
    for s in range(steps):
        total += step(x_all[order[s * a.batch:(s + 1) * a.batch]])
    seconds = time.perf_counter() - start
    images = steps * a.batch
    print(json.dumps({'engine': f'pytorch {torch.__version__}', 'threads': a.threads, 'images': images,
                      'seconds': round(seconds, 3), 'images_per_s': round(images / seconds, 1),
                      'loss': round(total / steps, 2)}))


if __name__ == '__main__':
    sys.exit(main())
