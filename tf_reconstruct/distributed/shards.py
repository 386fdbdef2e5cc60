"""Cutting a template database into shards, the unit of work a worker runs and Ray retries.

    make_shards(names, shard_size) -> [[name, ...], ...]     in database order; shard_size 0: one shard
    in_flight_name(index) -> 'in_flight_shard00003.npz'      each shard's own mid-face checkpoint

A shard's faces are a deterministic function of its templates and the engine settings (the engine fills
and shrinks its batch in order, and a face's float path depends on the batch's shape), and a shard run
again after a crash replays the batch of its last checkpoint (optimize/runner.py, exact_resume). So two
runs with the same shard size write the same files, whichever backend, worker, retry or resume ran them.
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
