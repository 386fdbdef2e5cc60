"""Face inpainting (issue 21): masks, face parsing, the patent's facial-style network, GAN-inversion
inpainting and OpenCV's classical fills."""
