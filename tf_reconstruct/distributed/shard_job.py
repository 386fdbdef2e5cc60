"""One worker's job: load the generator and extractor once, then reconstruct shard after shard.

    job = ShardJob(JobConfig(...))            # models loaded here, once
    job.run(index, [(name, template), ...])   -> ShardResult

The same job runs in-process (backend 'local' with --shard_size) and inside a Ray actor (ray_backend.py),
so both write the same files. Each shard writes through optimize/runner.py exactly as the local
backend does (atomic files, the record last), keeps its own in-flight checkpoint, and skips faces already
done: a shard run again after its worker died does only what is left.
"""

import dataclasses
import pathlib
import time

from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.distributed import shards
from tf_reconstruct.distributed.summary import steps_computed
from tf_reconstruct.errors import TfReconstructError
from tf_reconstruct.models import registry
from tf_reconstruct.optimize import recipes, runner
from tf_reconstruct.optimize.settings import EngineSettings


@dataclasses.dataclass(frozen=True)
class JobConfig:
    """Everything a worker needs to rebuild the models and run the engine; plain values, so Ray can ship it."""
    out_dir: str
    method: str
    settings: EngineSettings      # the base settings; the method's recipe changes them (recipes.settings_of)
    generator: str = "mobilestylegan"
    generator_weights: str = None
    extractor: str = "mobilefacenet192"
    extractor_weights: str = None
    checkpoint_dir: str = None
    baselines_dir: str = None
    threads: int = 0              # TensorFlow intra-op threads in the worker (0: as this process has them)
    # A black-box run (blackbox/): its blackbox.attack.BlackBoxConfig, and the oracle as (spec, dim, similarity)
    # for blackbox.oracle.load_oracle; `extractor` is then the surrogate, loaded only for a route that uses it.
    blackbox: object = None
    oracle: tuple = None


@dataclasses.dataclass
class ShardResult:
    index: int
    written: list                 # names whose files this call wrote
    steps: int                    # optimisation steps this call computed for them
    seconds: float


class ThreadsError(TfReconstructError, RuntimeError):
    """A worker cannot compute with the threads asked for (its TensorFlow already runs with others)."""


def use_threads(threads):
    """Makes TensorFlow compute with `threads` intra-op threads (0: leave them), or raises ThreadsError: a
    face's last float bits depend on the thread count, so a worker never runs silently with another one."""
    if not threads or runner.intra_op_threads() == threads:
        return
    import tensorflow as tf
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    except RuntimeError as error:   # TensorFlow already ran an op in this process: its threads are fixed
        raise ThreadsError(f"this process already computes with {runner.intra_op_threads()} threads, not the "
                           f"{threads} asked for; start a new process with --threads={threads}") from error


def _blackbox_attack(config):
    """A worker's black-box attacker (blackbox/attack.py): the oracle, and the surrogate if its route uses one."""
    from tf_reconstruct.blackbox.attack import Attacker
    from tf_reconstruct.blackbox.methods import check_method
    from tf_reconstruct.blackbox.oracle import load_oracle
    spec, dim, similarity = config.oracle
    oracle = load_oracle(spec, config.checkpoint_dir, dim, similarity, config.blackbox.oracle_workers)
    surrogate = (registry.get_attack_extractor(config.extractor, config.extractor_weights, config.checkpoint_dir)
                 if check_method(config.method).uses_surrogate else None)
    generator = registry.get_generator(config.generator, config.checkpoint_dir, config.generator_weights)
    return Attacker(generator, oracle, baselines_dir(config.baselines_dir, config.extractor, config.checkpoint_dir),
                    config.blackbox, surrogate)


class ShardJob:
    def __init__(self, config):
        use_threads(config.threads)
        self.config = config
        if config.blackbox is not None:
            self.attack = _blackbox_attack(config)
            return
        self.attack = None
        self.extractor = registry.get_attack_extractor(config.extractor, config.extractor_weights,
                                                       config.checkpoint_dir)
        self.generator = registry.get_generator(config.generator, config.checkpoint_dir, config.generator_weights)
        self.settings = recipes.settings_of(config.method, config.settings)
        self.baselines = baselines_dir(config.baselines_dir, self.extractor.name, config.checkpoint_dir)
        self.banks = {}           # the latent bank, loaded by the first shard that needs it

    def run(self, index, templates, on_written=None):
        """Reconstructs shard `index`'s templates [(name, [d])] not yet done; on_written(name) per face."""
        config, out_dir = self.config, pathlib.Path(self.config.out_dir)
        started = time.time()
        pending = [name for name, _ in templates if not runner.is_done(out_dir, name)]
        written = []

        def note(name):
            written.append(name)
            if on_written:
                on_written(name)

        if pending and self.attack is not None:
            self.attack.run(templates, out_dir, progress=False, on_written=note)
        elif pending:
            # Starts for the whole shard: an exact resume may replay faces already written.
            starts = recipes.starts_of(config.method, self.generator, self.extractor.name, self.baselines,
                                       dict(templates), self.banks)
            options = runner.RunOptions(in_flight_name=shards.in_flight_name(index), timing=False, progress=False,
                                        on_written=note, exact_resume=True)
            recipes.run(config.method, self.generator, self.extractor, templates, out_dir, self.settings, starts,
                        options=options)
        return ShardResult(index, written, steps_computed(out_dir, written), round(time.time() - started, 2))
