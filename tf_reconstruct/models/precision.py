"""Numeric precision of the models' forward and backward passes.

'bfloat16' builds the Keras models under the `mixed_bfloat16` policy: weights stay float32 and layers
compute in bfloat16 (AMX / AVX-512-bf16 on recent Xeons). The engine keeps w+, the loss and the
optimizer in float32 whatever the models compute in.
"""

import contextlib

import tensorflow as tf

PRECISIONS = ("float32", "bfloat16")
_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}


@contextlib.contextmanager
def policy_scope(precision):
    """Keras models built inside use `precision`; the previous global policy is restored after."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    previous = tf.keras.mixed_precision.global_policy()
    tf.keras.mixed_precision.set_global_policy(_POLICIES[precision])
    try:
        yield
    finally:
        tf.keras.mixed_precision.set_global_policy(previous)
