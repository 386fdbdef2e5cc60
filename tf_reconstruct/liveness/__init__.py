"""Liveness (presentation-attack) detectors, each `image -> (score, passed)`, for the paper's Table 4."""
