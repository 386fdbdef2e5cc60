"""The database run on a local Ray (started here, 2 CPUs) with a tiny step budget: Ray writes what the local
backend writes at the same threads per worker (1 here, 2 in the fast method's test), survives a killed worker,
resumes, and refuses a malformed database before any worker starts. A face's last bits depend on the thread
count on some CPUs (an AVX2-only EPYC: up to 0.018 in w+ after 6 steps between 1 and 2 threads), so each Ray
run is compared with a local run at its own threads: a fresh process at 1, or this process's 2 (conftest)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tf_reconstruct.distributed import local_backend, ray_backend
from tf_reconstruct.distributed.shard_job import JobConfig
from tf_reconstruct.optimize.settings import EngineSettings

pytestmark = [pytest.mark.models, pytest.mark.slow]

SETTINGS = EngineSettings(steps=6, patience=50, learning_rate=0.1, resolution=64, batch_size=2)
NAMES = [f"db_{index:04d}" for index in range(5)]


@pytest.fixture(scope="module")
def ray_session(generator):
    if os.environ.get("TF_RECONSTRUCT_REQUIRE_MODELS") == "1":
        import ray      # `make test` installs the ray extra: missing, it is a failure
    else:
        ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, namespace="tf_reconstruct_tests")
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def templates():
    rows = np.random.default_rng(3).standard_normal((len(NAMES), 192)).astype(np.float32)
    return list(zip(NAMES, rows))


def config(out_dir):
    return JobConfig(out_dir=str(out_dir), method="ours", settings=SETTINGS)


def files(out_dir):
    return sorted(path.name for path in out_dir.iterdir())


def same_outputs(a, b, name):
    """The face, the w+ and the record (but for its clock) are identical."""
    def record(folder):
        kept = json.loads((folder / f"{name}.json").read_text())
        kept.pop("seconds_since_start")
        return kept
    return ((a / f"{name}.png").read_bytes() == (b / f"{name}.png").read_bytes()
            and np.array_equal(np.load(a / f"{name}_wplus.npy"), np.load(b / f"{name}_wplus.npy"))
            and record(a) == record(b))


@pytest.fixture(scope="module")
def local_run_one_thread(tmp_path_factory, templates):
    """The local backend at 1 thread, in a fresh process (TensorFlow's threads are fixed once it has run):
    the README's command, with SETTINGS as flags."""
    folder = tmp_path_factory.mktemp("local1")
    np.save(folder / "db.npy", np.stack([row for _, row in templates]))
    out_dir = folder / "out"
    flags = [f"--{name}={value}" for name, value in SETTINGS.to_record().items()
             if name not in ("compiled", "jit_compile")]
    done = subprocess.run([sys.executable, "-m", "tf_reconstruct.reconstruct", f"--templates={folder / 'db.npy'}",
                           f"--out_dir={out_dir}", "--method=ours", "--backend=local", "--shard_size=2", "--threads=1",
                           *flags],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return out_dir


def test_ray_writes_what_the_local_backend_writes_at_the_same_threads_survives_a_killed_worker_and_resumes(
        ray_session, templates, local_run_one_thread, tmp_path):
    # The local run's shards on two Ray workers of 1 CPU each, worker 0 killed after the first face: Ray restarts
    # it, its shard is retried, and every face is written once, the bits of the local run's (a face in flight at
    # the kill is replayed in its shard's batch). Ray at 2 threads a worker: the fast method's test below.
    local = local_run_one_thread
    summary = ray_backend.run(config(tmp_path), templates, shard_size=2, workers=2, cpus_per_worker=1,
                              fault_drill_after=1)
    assert any("killed" in event for event in summary.events)
    assert not summary.failures and summary.done_before == 0 and summary.written == len(NAMES)
    assert files(tmp_path) == files(local)          # every face, once, and nothing half-written
    for name in NAMES:
        assert same_outputs(local, tmp_path, name), name
    assert json.loads((tmp_path / f"{NAMES[0]}.json").read_text())["threads"] == 1
    # Resume: a re-run after a lost face does only that face, and finds the rest done.
    for suffix in (".json", ".png", "_wplus.npy"):
        (tmp_path / f"db_0003{suffix}").unlink()
    again = ray_backend.run(config(tmp_path), templates, shard_size=2, workers=1, cpus_per_worker=1)
    assert again.written == 1 and again.done_before == len(NAMES) - 1
    assert all(same_outputs(local, tmp_path, name) for name in NAMES)
    assert ray_backend.run(config(tmp_path), templates, shard_size=2, workers=1, cpus_per_worker=1).written == 0


def test_the_fast_method_runs_on_a_ray_shard_as_it_does_locally(ray_session, templates, tiny_bank, tmp_path):
    # ours_fast (issue 35, the default method) is two stages and a bank start: a Ray worker's shard writes the
    # faces, w+ and records the local backend writes, coarse stage included.
    fast = EngineSettings(steps=6, resolution=32, batch_size=2)

    def job(out_dir):
        return JobConfig(out_dir=str(out_dir), method="ours_fast", settings=fast,
                         baselines_dir=str(tiny_bank))

    shard = templates[:2]
    local = local_backend.run(job(tmp_path / "local"), shard, shard_size=2)
    on_ray = ray_backend.run(job(tmp_path / "ray"), shard, shard_size=2, workers=1, cpus_per_worker=2)
    assert local.written == on_ray.written == 2 and not on_ray.failures
    for name, _ in shard:
        local_dir, ray_dir = tmp_path / "local", tmp_path / "ray"
        assert (local_dir / f"{name}.png").read_bytes() == (ray_dir / f"{name}.png").read_bytes()
        assert np.array_equal(np.load(local_dir / f"{name}_wplus.npy"), np.load(ray_dir / f"{name}_wplus.npy"))
        records = [json.loads((folder / f"{name}.json").read_text()) for folder in (local_dir, ray_dir)]
        for record, folder in zip(records, (local_dir, ray_dir)):
            assert record.pop("seconds_since_start") > 0 and record["start"].pop("from") == str(folder / "coarse")
        assert records[0] == records[1]
        record = records[1]
        assert record["method"] == "ours_fast" and record["start"]["coarse_start"]["kind"] == "bank"
        assert record["threads"] == 2       # the worker's 2 CPUs reached TensorFlow, as this process's 2
        assert (tmp_path / "ray" / "coarse" / f"{name}_wplus.npy").is_file()


def test_a_malformed_database_is_refused_before_any_worker_starts(tmp_path):
    rows = np.ones((6, 192), np.float32)
    rows[4] = np.nan
    np.save(tmp_path / "db.npy", rows)
    out_dir = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "tf_reconstruct.reconstruct", f"--templates={tmp_path / 'db.npy'}",
                           f"--out_dir={out_dir}", "--backend=ray", "--workers=2"], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1] == f"error: {tmp_path / 'db.npy'}: row 4 (1 of them) contain NaN or Inf; " \
                                                   f"remove or re-extract them"
    assert not out_dir.exists()


def test_an_unreachable_cluster_is_one_line(tmp_path):
    np.save(tmp_path / "db.npy", np.ones((2, 192), np.float32))
    done = subprocess.run([sys.executable, "-m", "tf_reconstruct.reconstruct", f"--templates={tmp_path / 'db.npy'}",
                           f"--out_dir={tmp_path / 'out'}", "--backend=ray", "--ray_address=127.0.0.1:9"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "error: --ray_address=127.0.0.1:9: nothing answers at 127.0.0.1:9" in done.stderr.strip().splitlines()[-1]
