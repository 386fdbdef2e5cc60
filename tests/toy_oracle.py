"""A user's oracle for the tests: a plain numpy function from faces to templates, as a vendor SDK wrapper is."""

import os

import numpy as np


def embed(faces):
    """[B, 112, 112, 3] uint8 -> [B, 4]: the means of 3 slices of each face, and the process that answered."""
    faces = np.asarray(faces, np.float32)
    means = faces.reshape(len(faces), 4, -1).mean(axis=2)
    means[:, 3] = os.getpid()
    return means
