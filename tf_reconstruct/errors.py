"""Exceptions whose messages name the bad input and the fix."""


class TfReconstructError(Exception):
    """Base class for every error this package raises on purpose."""


class MissingCheckpointError(TfReconstructError, FileNotFoundError):
    """A fetched or converted model file is not where it should be."""


class ChecksumMismatchError(TfReconstructError, ValueError):
    """A downloaded or cached file does not have its expected sha256."""


class CheckpointFormatError(TfReconstructError, ValueError):
    """A checkpoint is readable but does not match the architecture it is loaded into."""


class UserWeightsRequiredError(TfReconstructError, FileNotFoundError):
    """A model whose weights no registry carries was asked for without a path to them."""


class InputError(TfReconstructError, ValueError):
    """A flag or input a user gave that cannot be used (an unknown name, a mismatched folder); the message
    names it and the choices or the fix."""
