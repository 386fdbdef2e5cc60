"""The query-only anchor: a face drawn in pixels from Gaussian blobs, in the style of Razzhigaev et al. (2020).

    gaussian_blobs(rng, count, size, sigma_range, amplitude) -> [count, size, size, 3] float32
    BlobSettings(queries, candidates, top, amplitude, sigma_range, seed)
    blob_search(oracle, target, start_face [112, 112, 3] uint8, settings) -> cma_refine.SearchResult

Their attack needs no generator: from an average face, each iteration draws random coloured Gaussian blobs,
asks the oracle about the face with each blob added, and adds the best ones, weighted by how much each
raised the similarity. Here the start is the public generator's mean face in the ArcFace crop; one more
query scores the combined step, which is kept only when it beats the current face (else the best single
blob is, if any beat it). Its face is the 112-px crop itself.
"""

import dataclasses

import numpy as np

from tf_reconstruct.blackbox.cma_refine import SearchResult


@dataclasses.dataclass(frozen=True)
class BlobSettings:
    queries: int = 1000
    candidates: int = 16         # blobs tried per iteration: one batch of queries
    top: int = 4                 # the best blobs combined into one step
    amplitude: float = 40.0      # a blob's largest change of a channel, in 0-255 units
    sigma_range: tuple = (3.0, 18.0)   # blob widths in pixels, drawn log-uniformly
    seed: int = 0


def gaussian_blobs(rng, count, size, sigma_range, amplitude):
    """`count` random blobs [count, size, size, 3]: a Gaussian bump at a random centre and width, with a random
    signed colour of at most `amplitude` per channel."""
    centres = rng.uniform(0, size, (count, 2))
    sigmas = np.exp(rng.uniform(np.log(sigma_range[0]), np.log(sigma_range[1]), count))
    colours = rng.uniform(-amplitude, amplitude, (count, 3))
    grid = np.arange(size, dtype=np.float64)
    dy = (grid[None, :] - centres[:, :1]) ** 2          # [count, size] rows
    dx = (grid[None, :] - centres[:, 1:]) ** 2          # [count, size] columns
    bumps = np.exp(-(dy[:, :, None] + dx[:, None, :]) / (2 * sigmas[:, None, None] ** 2))
    return (bumps[..., None] * colours[:, None, None, :]).astype(np.float32)


def _as_faces(images):
    return np.clip(np.rint(images), 0, 255).astype(np.uint8)


def blob_search(oracle, target, start_face, settings=BlobSettings()):
    """The face the blob search reaches within the oracle's remaining budget."""
    rng = np.random.default_rng(settings.seed)
    calls_before = oracle.calls
    current = np.asarray(start_face, np.float32)
    current_similarity = float(oracle.similarities(oracle(_as_faces(current)[None]), target)[0])
    start_similarity, history = current_similarity, []
    while oracle.remaining >= settings.candidates + 1:
        blobs = gaussian_blobs(rng, settings.candidates, current.shape[0], settings.sigma_range, settings.amplitude)
        candidates = np.clip(current[None] + blobs, 0, 255)
        similarities = oracle.similarities(oracle(_as_faces(candidates)), target)
        gains = similarities - current_similarity
        order = np.argsort(-gains)[:settings.top]
        order = order[gains[order] > 0]
        if len(order):
            weights = gains[order] / gains[order].sum()
            combined = np.clip(current + np.einsum("k,khwc->hwc", weights, blobs[order]) * len(order), 0, 255)
            combined_similarity = float(oracle.similarities(oracle(_as_faces(combined)[None]), target)[0])
            if combined_similarity >= similarities[order[0]]:
                current, current_similarity = combined, combined_similarity
            else:
                current, current_similarity = candidates[order[0]], float(similarities[order[0]])
        history.append(round(current_similarity, 5))
    return SearchResult(None, current_similarity, start_similarity, oracle.calls - calls_before, len(history), history,
                        face=_as_faces(current))
