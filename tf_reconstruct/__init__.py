"""tf_reconstruct: how much of a face a stored deep face template gives away.

Reconstructs a 1024x1024 face from a face-recognition feature by optimising the
w+ latent of a pretrained StyleGAN-family generator (Miao et al. 2023), then scores
the result as a face-recognition system would.
"""

__version__ = "0.1.0"
