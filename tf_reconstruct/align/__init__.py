"""Face alignment to the ArcFace 112x112 template: MTCNN for photos, a fixed differentiable warp for generator output."""
