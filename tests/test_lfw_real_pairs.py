"""Both MobileFaceNets separate real LFW genuine pairs from impostor pairs (first 20 + 20 of pairs.txt)."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from conftest import cosine, require_shared_data
from tf_reconstruct.align import photo_align
from tf_reconstruct.datasets import lfw

pytestmark = [pytest.mark.models, pytest.mark.slow]


@pytest.fixture(scope="module")
def lfw_pairs():
    pairs = lfw.parse_pairs(require_shared_data("lfw/pairs.txt").read_text())
    chosen = [p for p in pairs if p.same][:20] + [p for p in pairs if not p.same][:20]
    ids = {image_id for pair in chosen for image_id in (pair.first, pair.second)}
    images = lfw.read_images(require_shared_data("lfw/lfw-deepfunneled.tgz"), ids)
    aligned = {image_id: photo_align.align_photo(image, image_id) for image_id, image in images.items()}
    return chosen, aligned


@pytest.mark.parametrize("fixture", ["extractor192", "extractor512"])
def test_genuine_scores_exceed_impostor_scores(fixture, lfw_pairs, request):
    extractor = request.getfixturevalue(fixture)
    pairs, aligned = lfw_pairs
    ids = sorted(aligned)
    embeddings = dict(zip(ids, extractor(np.stack([aligned[i] for i in ids])).numpy()))
    scores = np.array([cosine(embeddings[p.first], embeddings[p.second]) for p in pairs])
    labels = np.array([p.same for p in pairs])
    auc = roc_auc_score(labels, scores)
    print(f"{extractor.name} on 20+20 LFW pairs: AUC {auc:.4f}, min genuine {scores[labels].min():.3f}, "
          f"max impostor {scores[~labels].max():.3f}")
    assert auc >= 0.99
