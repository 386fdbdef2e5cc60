"""Which device the models run on, read from TensorFlow, so that no setting assumes a CPU.

    gpu_capabilities() -> [(major, minor), ...]   one per visible GPU (empty on a CPU-only machine)
    auto_precision(gpu_capabilities, cpu_native_bfloat16) -> 'bfloat16' | 'float32'

TensorFlow places ops on the first visible GPU by itself; under Ray each actor sees only the GPUs it was
given (CUDA_VISIBLE_DEVICES). CPU thread counts (--threads, a Ray actor's CPUs) only size TensorFlow's CPU
pool, which a GPU run still uses for its input work.
"""

import tensorflow as tf

# bfloat16 runs natively on tensor cores from Ampere (compute capability 8.0) on; older GPUs emulate it.
BFLOAT16_GPU_CAPABILITY = (8, 0)


def gpu_capabilities():
    capabilities = []
    for device in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(device)
        capabilities.append(tuple(details.get("compute_capability", (0, 0))))
    return capabilities


def auto_precision(gpu_capabilities, cpu_native_bfloat16):
    """--precision=auto: on a GPU machine, bfloat16 when every visible GPU computes it natively; on a CPU
    machine, bfloat16 when the CPU has AVX-512-bf16 or AMX; float32 otherwise."""
    if gpu_capabilities:
        return "bfloat16" if min(gpu_capabilities) >= BFLOAT16_GPU_CAPABILITY else "float32"
    return "bfloat16" if cpu_native_bfloat16 else "float32"
