"""tf_reconstruct: how much of a face a stored deep face template gives away.

Reconstructs a 1024x1024 face from a face-recognition feature by optimising the
w+ latent of a pretrained StyleGAN-family generator (Miao et al. 2023), then scores
the result as a face-recognition system would.
"""

import importlib.util

__version__ = "0.1.0"

# TensorFlow comes from an extra, so that a GPU machine can take the CUDA build instead (setup.cfg).
if importlib.util.find_spec("tensorflow") is None:
    raise ImportError("TensorFlow is not installed: pip install -e '.[cpu]' (or '.[gpu]' on a CUDA machine; "
                      "`make setup TF=gpu` does it)")
