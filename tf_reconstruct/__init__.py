"""tf_reconstruct: how much of a face a stored deep face template gives away.

Reconstructs a 1024x1024 face from a face-recognition feature by optimising the
w+ latent of a pretrained StyleGAN-family generator (Miao et al. 2023), then scores
the result as a face-recognition system would.
"""

import importlib.util
import os
import warnings

__version__ = "0.1.0"

# Quiet commands: TensorFlow's C++ info lines (oneDNN, CPU features) and tensorflow-addons' end-of-life
# notice would otherwise come before a command's own first line. Set before TensorFlow is first imported;
# a user's own TF_CPP_MIN_LOG_LEVEL wins, and real warnings (level 2 and up) still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore", message=r"\s*TensorFlow Addons \(TFA\) has ended development", category=UserWarning)

# TensorFlow comes from an extra, so that a GPU machine can take the CUDA build instead (setup.cfg).
if importlib.util.find_spec("tensorflow") is None:
    raise ImportError("TensorFlow is not installed: pip install -e '.[cpu]' (or '.[gpu]' on a CUDA machine; "
                      "`make setup TF=gpu` does it)")
