"""The database run on Ray: actors that hold the models once, shards of templates as their tasks.

    summary = run(config, templates, shard_size, workers, cpus_per_worker=0, gpus_per_worker=0,
                  address=None, fault_drill_after=0)

- Each of `workers` actors builds a ShardJob (generator + extractor) once, with `cpus_per_worker` CPUs
  (its TensorFlow threads) and `gpus_per_worker` GPUs (Ray sets CUDA_VISIBLE_DEVICES for it).
- The driver hands each idle actor the next unfinished shard. A shard writes through the local backend's
  code (atomic files, the record last) into the shared output folder, so a face is either whole or absent.
- A worker that dies is restarted by Ray (its models loaded again) and its shard retried, up to RETRIES
  times: the retry rebuilds the batch of the shard's last checkpoint and replays it from there, so at most
  the steps since that checkpoint are lost, nothing is written twice, and every face comes out the bits
  of an undisturbed run. A shard that still
  fails is reported with its reason; a re-run does only what is left.
- `address`: None starts Ray on this machine (or uses the one already started in this process), 'auto'
  or 'host:port' joins a running cluster (`ray start --head`). Every node needs this package installed and
  the output folder mounted at the same path (NFS or similar): see the README's section on Ray.
- `fault_drill_after`: for checking recovery on one's own cluster: after that many faces of this run are
  written, worker 0 is killed once (as a crash: Ray restarts it).
"""

import dataclasses
import os
import pathlib
import socket
import time
import uuid

from absl import logging
from tqdm import tqdm

from tf_reconstruct.distributed import shards
from tf_reconstruct.distributed.shard_job import ShardJob
from tf_reconstruct.distributed.summary import RunSummary
from tf_reconstruct.errors import TfReconstructError
from tf_reconstruct.optimize import runner

RETRIES = 3                   # restarts of a dead actor, and retries of the shard it was running
NAMESPACE = "tf_reconstruct"
POLL_SECONDS = 1.0
CONNECT_TIMEOUT_SECONDS = 5.0


class BackendError(TfReconstructError, RuntimeError):
    """Ray is missing, unreachable, or cannot give the resources asked for."""


def require_ray():
    """The ray module, or a BackendError saying how to install it."""
    try:
        import ray
    except ImportError as error:
        raise BackendError("--backend=ray needs Ray, which is not installed: pip install -e '.[ray]' "
                           "(or use --backend=local)") from error
    return ray


def check_reachable(address, timeout=CONNECT_TIMEOUT_SECONDS):
    """Fails fast, naming the address, when nothing listens at a 'host:port' (or 'ray://host:port') address."""
    if not address or address == "auto":
        return
    host_port = address.split("://", 1)[-1]
    host, _, port = host_port.rpartition(":")
    if not host or not port.isdigit():
        raise BackendError(f"--ray_address={address} is not 'auto' or host:port (e.g. 10.0.0.1:6379)")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as error:
        raise BackendError(f"--ray_address={address}: nothing answers at {host}:{port} ({error}); start the head "
                           f"node with `ray start --head` or fix the address") from error


def connect(ray, address):
    """Joins Ray: the session already open in this process, a cluster at `address`, or a new local one.
    Returns True when this call started it (and so should shut it down)."""
    if ray.is_initialized():
        return False
    check_reachable(address)
    # Workers log to their own files (/tmp/ray/session_latest/logs); the driver shows one progress bar.
    options = dict(namespace=NAMESPACE, log_to_driver=False, include_dashboard=False,
                   runtime_env={"env_vars": {"TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}})
    try:
        if address:
            ray.init(address=address, **options)
        else:
            ray.init(**options)
    except ConnectionError as error:
        raise BackendError(f"--ray_address={address}: no Ray cluster found ({error}); start one with "
                           f"`ray start --head`, or leave --ray_address out to run Ray on this machine") from error
    return True


def plan_resources(cluster, workers, cpus_per_worker, gpus_per_worker):
    """(cpus, gpus) per worker; cpus 0 shares the cluster's CPUs out. Raises when the cluster is too small,
    where Ray would instead wait for ever. `cluster`: ray.cluster_resources()."""
    if workers < 1:
        raise BackendError(f"--workers={workers}: give at least 1")
    total_cpus, total_gpus = cluster.get("CPU", 0), cluster.get("GPU", 0)
    cpus = cpus_per_worker or max(1, int(total_cpus // workers))
    if cpus * workers > total_cpus:
        raise BackendError(f"--workers={workers} x {cpus} CPUs needs {cpus * workers} CPUs but the Ray cluster has "
                           f"{total_cpus:g}; lower --workers or --cpus_per_worker, or add nodes")
    if gpus_per_worker * workers > total_gpus:
        raise BackendError(f"--workers={workers} x --gpus_per_worker={gpus_per_worker:g} needs "
                           f"{gpus_per_worker * workers:g} GPUs but the Ray cluster has {total_gpus:g}")
    return cpus, gpus_per_worker


class _Worker:
    """A Ray actor's body: the models, loaded once, and the shards given to it."""

    def __init__(self, config, progress_name):
        import ray
        self.job = ShardJob(config)
        # Found by name, not passed as a handle: a restarted actor's arguments must not live in the object store.
        self.progress = ray.get_actor(progress_name)

    def run_shard(self, index, templates):
        return self.job.run(index, templates, on_written=lambda name: self.progress.add.remote())


class _Progress:
    """Counts faces written by every worker, for the driver's one progress bar."""

    def __init__(self):
        self.count = 0

    def add(self):
        self.count += 1

    def read(self):
        return self.count


def run(config, templates, shard_size, workers, cpus_per_worker=0, gpus_per_worker=0, address=None,
        fault_drill_after=0):
    """Reconstructs every template of `templates` [(name, [d])] not yet done in config.out_dir on Ray."""
    if shard_size < 1:
        raise BackendError(f"--shard_size={shard_size}: Ray needs shards of at least 1 template")
    ray = require_ray()
    out_dir = pathlib.Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    by_name = dict(templates)
    done_before = {name for name in by_name if runner.is_done(out_dir, name)}
    done = len(done_before)
    todo = [(index, names) for index, names in enumerate(shards.make_shards(list(by_name), shard_size))
            if not done_before.issuperset(names)]
    summary = RunSummary("ray", workers, len(by_name), done, batch_size=config.settings.batch_size)
    if not todo:
        summary.write(out_dir)
        return summary
    started_ray = connect(ray, address)
    started = time.time()
    actors = []
    try:
        cpus, gpus = plan_resources(ray.cluster_resources(), workers, cpus_per_worker, gpus_per_worker)
        # A CPU worker's TensorFlow threads are its CPUs; a GPU worker keeps TensorFlow's default.
        config = dataclasses.replace(config, threads=config.threads or (0 if gpus else cpus))
        progress_name = f"progress-{uuid.uuid4().hex}"
        progress = ray.remote(num_cpus=0)(_Progress).options(name=progress_name).remote()
        actors.append(progress)
        actor_class = ray.remote(_Worker).options(num_cpus=cpus, num_gpus=gpus, max_restarts=RETRIES,
                                                  max_task_retries=RETRIES)
        pool = [actor_class.remote(config, progress_name) for _ in range(min(workers, len(todo)) or 1)]
        actors += pool
        _drive(ray, pool, todo, by_name, summary, progress, done, fault_drill_after)
    finally:
        for actor in actors:     # their CPUs go back to a cluster that outlives this run
            ray.kill(actor, no_restart=True)
        summary.tally(out_dir, [name for name in by_name if name not in done_before and runner.is_done(out_dir, name)],
                      runner.is_done)
        summary.finish(time.time() - started)
        summary.write(out_dir)
        _sweep_partials(out_dir)
        if started_ray:
            ray.shutdown()
    return summary


def _drive(ray, actors, todo, by_name, summary, progress, done, fault_drill_after):
    """Hands shards to idle actors until none is left; collects results and failures."""
    from ray.exceptions import RayActorError, RayError
    queue = list(todo)
    running = {}                               # result ref -> (actor, shard index, names)
    live = list(actors)
    drilled = False

    def submit(actor):
        if queue:
            index, names = queue.pop(0)
            ref = actor.run_shard.remote(index, [(name, by_name[name]) for name in names])
            running[ref] = (actor, index, names)

    for actor in live:
        submit(actor)
    with tqdm(total=summary.faces, initial=done, desc="reconstructing", unit="face") as bar:
        while running:
            ready, _ = ray.wait(list(running), num_returns=1, timeout=POLL_SECONDS)
            written = ray.get(progress.read.remote())
            bar.update(done + written - bar.n)
            if fault_drill_after and not drilled and written >= fault_drill_after:
                logging.warning("fault drill: killing worker 0 after %d faces", written)
                summary.events.append(f"fault drill: worker 0 killed after {written} faces")
                ray.kill(actors[0], no_restart=False)
                drilled = True
            for ref in ready:
                actor, index, names = running.pop(ref)
                try:
                    ray.get(ref)        # the faces are counted from disk at the end
                except RayError as error:
                    summary.fail(index, names, _reason(error))
                    if isinstance(error, RayActorError):
                        live.remove(actor)      # its restarts are spent
                        if not live:
                            for index, names in queue:
                                summary.fail(index, names, "no worker left alive")
                            queue.clear()
                        continue
                submit(actor)
        bar.update(done + ray.get(progress.read.remote()) - bar.n)


def _reason(error):
    """The first line of a Ray error's cause: what the summary shows for a failed shard."""
    cause = getattr(error, "cause", None) or error
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[-1] if text else ''}"[:300]


def _sweep_partials(out_dir):
    """Removes the `.partial.*` files a killed worker may have left (every shard has ended by now)."""
    for partial in pathlib.Path(out_dir).glob(".partial.*"):
        partial.unlink(missing_ok=True)
