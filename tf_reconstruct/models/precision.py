"""Numeric precision of the models' forward and backward passes.

'bfloat16' builds the Keras models under the `mixed_bfloat16` policy: weights stay float32 and layers
compute in bfloat16 (AMX / AVX-512-bf16 on recent Xeons). The engine keeps w+, the loss and the
optimizer in float32 whatever the models compute in.

float32 is the default. bfloat16 is opt-in: on CPUs with native bfloat16 a step was 10-30% faster, but
the embedding then carries about 3 significant digits, the loss floors near 0.01 (float32 reaches 1e-4),
and 6 of 52 LFW faces failed type I in it, 3 of which pass in float32 (BUILD_NOTES.md). 'auto' picks bfloat16 only on a CPU
with native bfloat16 arithmetic: on an AVX2-only CPU TensorFlow emulates it and a step was 3.4x slower.
"""

import contextlib

import tensorflow as tf

from tf_reconstruct.models import devices

PRECISIONS = ("float32", "bfloat16")
CHOICES = PRECISIONS + ("auto",)
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def _cpu_flags(cpuinfo):
    try:
        text = open(cpuinfo).read()
    except OSError:
        return set()
    return {flag for line in text.splitlines() if line.startswith("flags") for flag in line.split(":", 1)[1].split()}


def cpu_has_native_bfloat16(cpuinfo="/proc/cpuinfo"):
    """True when the CPU flags list AVX-512-bf16 or AMX-bf16 (False where /proc/cpuinfo cannot be read)."""
    return any(flag in _cpu_flags(cpuinfo) for flag in NATIVE_BF16_FLAGS)


def cpu_kind(cpuinfo="/proc/cpuinfo"):
    """The CPU kind a timing must name (machines here differ 2-4x): 'AVX-512 with AMX', 'AVX-512', 'AVX2 only',
    or 'unknown' where /proc/cpuinfo cannot be read."""
    flags = _cpu_flags(cpuinfo)
    if "avx512f" in flags:
        return "AVX-512 with AMX" if "amx_tile" in flags else "AVX-512"
    return "AVX2 only" if "avx2" in flags else "unknown"


def resolve(precision):
    """'auto' -> 'bfloat16' where the device computes it natively (models/devices.py: an Ampere or later GPU,
    or a CPU with AVX-512-bf16/AMX), else 'float32'; other choices are returned as they are."""
    if precision == "auto":
        return devices.auto_precision(devices.gpu_capabilities(), cpu_has_native_bfloat16())
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {CHOICES}, not {precision!r}")
    return precision


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
