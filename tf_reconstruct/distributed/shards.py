"""Cutting a template database into shards, the unit of work a worker runs and Ray retries.

    make_shards(names, shard_size) -> [[name, ...], ...]     in database order; shard_size 0: one shard
    in_flight_name(index) -> 'in_flight_shard00003.npz'      each shard's own mid-face checkpoint

Shards run without the engine's batch compaction, so each face is a deterministic function of its own
template, start and settings: any shard size, backend, worker, retry or resume writes the same files.
"""


def make_shards(names, shard_size):
    """Consecutive runs of `shard_size` names (the last may be shorter); one shard of all when 0."""
    names = list(names)
    if shard_size < 0:
        raise ValueError(f"shard_size must be >= 0, not {shard_size}")
    if not names:
        return []
    if shard_size == 0:
        return [names]
    return [names[start:start + shard_size] for start in range(0, len(names), shard_size)]


def in_flight_name(index):
    """File name of shard `index`'s in-flight state: workers sharing an output folder must not share one."""
    return f"in_flight_shard{index:05d}.npz"
