"""The mean latent w_avg of a mapping network: the paper's starting point and its restraint's centre.

    compute_w_avg(mapping) -> [512] float64, the mean of mapping(z) over z ~ N(0, I)
"""

import numpy as np

# The StyleGAN2 projector's count: the mean moves by < 1e-3 per dimension beyond it.
W_AVG_SAMPLES = 100_000


def compute_w_avg(mapping, samples=W_AVG_SAMPLES, seed=0, batch=10_000):
    """Mean of mapping(z) over `samples` z ~ N(0, I): [512] float64."""
    rng = np.random.default_rng(seed)
    total = np.zeros(512, dtype=np.float64)
    for start in range(0, samples, batch):
        count = min(batch, samples - start)
        z = rng.standard_normal((count, 512)).astype(np.float32)
        total += mapping(z, training=False).numpy().astype(np.float64).sum(0)
    return total / samples
