"""The error every dataset reader raises for missing, incomplete or malformed data."""

from tf_reconstruct.errors import TfReconstructError


class DatasetError(TfReconstructError, ValueError):
    """A dataset is missing, incomplete or malformed; the message names the input and the fix."""
