"""`python -m tf_reconstruct.studies.query_speed`: where a black-box search's time goes, per query.

One CMA-ES generation asks for --bench_popsize faces: the generator renders them (blackbox/queries.py; at 256
px, and at 512 for the _q512 methods), the oracle answers (dlib, with 1 and with 2 worker processes), and a
joint search also runs the surrogate on the same crops. Each part is timed on the same faces for
--bench_generations generations after one untimed warm-up, and every row is given as a ratio to the
one-worker query of the same sitting, since absolute times drift between machines. Writes
experiments/blackbox/query_speed.{md,csv}.
"""

import datetime
import os
import pathlib
import time

import numpy as np
from absl import app, flags

from tf_reconstruct import cli, flags as project_flags
from tf_reconstruct.blackbox.oracle import load_oracle
from tf_reconstruct.blackbox.queries import QueryRenderer
from tf_reconstruct.evaluation import report_files
from tf_reconstruct.models import precision, registry

FLAGS = flags.FLAGS


def latents(generator, count, seed, spread=0.5):
    """`count` w+ [num_ws, 512] around the mean face: varied faces, as a search's generation is."""
    noise = np.random.default_rng(seed).standard_normal((count, 1, 512)).astype(np.float32)
    return generator.mean_w_plus() + spread * noise


def timed(function, generations):
    """Mean seconds of `function()` over `generations` calls, after one untimed call (tracing, pool start)."""
    function()
    started = time.perf_counter()
    for _ in range(generations):
        function()
    return (time.perf_counter() - started) / generations


def measure(renderers, oracles, surrogate, w_plus, generations):
    """{part: seconds per generation}: each render ({px: QueryRenderer}, 256 first), each oracle, and the
    surrogate on the same faces."""
    faces = renderers[256](w_plus)
    seconds = {f"render ({px} px, warp)": timed(lambda r=renderer: r(w_plus), generations)
               for px, renderer in renderers.items()}
    for workers, oracle in oracles.items():
        label = f"oracle, {workers} worker{'s' if workers > 1 else ''}"
        seconds[label] = timed(lambda o=oracle: o(faces), generations)
    seconds["surrogate (joint term)"] = timed(lambda: np.asarray(surrogate(faces)), generations)
    return seconds


def rows(seconds, popsize):
    """Table rows: each part's and each whole query's s / query, as a ratio to the one-worker query."""
    render, surrogate = seconds["render (256 px, warp)"], seconds["surrogate (joint term)"]
    wholes = {}
    for part, value in seconds.items():
        if part.startswith("oracle"):
            label = part.removeprefix("oracle, ")
            wholes[f"query: render + oracle ({label})"] = render + value
            wholes[f"joint query: render + oracle ({label}) + surrogate"] = render + value + surrogate
    if "render (512 px, warp)" in seconds:
        wholes["joint query at 512 px: render + oracle (2 workers) + surrogate"] = (
            seconds["render (512 px, warp)"] + seconds["oracle, 2 workers"] + surrogate)
    reference = wholes["query: render + oracle (1 worker)"]
    return [{"part": part, "ms / query": round(1000 * value / popsize, 1), "ratio to a 1-worker query":
             round(value / reference, 3)} for part, value in {**seconds, **wholes}.items()]


def main(argv):
    del argv
    project_flags.apply_threads()
    generator = registry.get_generator(FLAGS.generator, FLAGS.checkpoint_dir, FLAGS.generator_weights)
    renderers = {px: QueryRenderer(generator, px) for px in (256, 512)}
    oracles = {workers: load_oracle(FLAGS.oracle, FLAGS.checkpoint_dir, workers=workers) for workers in (1, 2)}
    surrogate = registry.get_attack_extractor(FLAGS.surrogate, None, FLAGS.checkpoint_dir)
    w_plus = latents(generator, FLAGS.bench_popsize, FLAGS.seed)
    table = rows(measure(renderers, oracles, surrogate, w_plus, FLAGS.bench_generations), FLAGS.bench_popsize)
    report_files.write_table(FLAGS.bench_out, table, (
        f"One CMA-ES generation of {FLAGS.bench_popsize} faces, timed over {FLAGS.bench_generations} generations "
        f"after one untimed, on {os.cpu_count()} CPUs ({precision.cpu_kind()}), "
        f"{datetime.date.today().isoformat()}; oracle {FLAGS.oracle}, surrogate {FLAGS.surrogate}. The parts run "
        f"one after another in the search, so a query costs their sum. "
        f"`python -m tf_reconstruct.studies.query_speed`."))
    print(pathlib.Path(f"{FLAGS.bench_out}.md").read_text())


if __name__ == "__main__":
    project_flags.define_query_speed_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
