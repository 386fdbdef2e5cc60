"""The sharded run in this process: the shards one after another through one ShardJob.

    run(config, templates, shard_size) -> RunSummary

It writes what the Ray backend writes for the same shard size (the same job runs the same shards), which
is what a distributed run is checked against; without --shard_size, reconstruct.py keeps its one-stream path.
"""

import pathlib
import time

from tqdm import tqdm

from tf_reconstruct.distributed import shards
from tf_reconstruct.distributed.shard_job import ShardJob
from tf_reconstruct.distributed.summary import RunSummary
from tf_reconstruct.optimize import runner


def run(config, templates, shard_size):
    """Runs the shards of `templates` [(name, [d])] not yet done in config.out_dir, in this process, with the
    threads config.threads names (0: this process's own; a Ray worker's are its CPUs, so give the same
    number to compare the two)."""
    out_dir = pathlib.Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    by_name = dict(templates)
    done_before = {name for name in by_name if runner.is_done(out_dir, name)}
    summary = RunSummary("local", 1, len(by_name), len(done_before), batch_size=config.settings.batch_size)
    started = time.time()
    job = ShardJob(config)
    with tqdm(total=len(by_name), initial=len(done_before), desc="reconstructing", unit="face") as bar:
        for index, names in enumerate(shards.make_shards(list(by_name), shard_size)):
            if done_before.issuperset(names):
                continue
            summary.add(job.run(index, [(name, by_name[name]) for name in names], on_written=lambda _: bar.update(1)))
    summary.finish(time.time() - started)
    summary.write(out_dir)
    return summary
