"""The pieces of a database run that need no models: shards, resource planning, addresses, the summary."""

import json
import socket
import sys

import pytest

from tf_reconstruct.distributed import ray_backend, shards
from tf_reconstruct.distributed.shard_job import ShardResult
from tf_reconstruct.distributed.summary import RunSummary


def test_shards_are_consecutive_and_cover_every_name_once():
    names = [f"t{index}" for index in range(7)]
    assert shards.make_shards(names, 3) == [["t0", "t1", "t2"], ["t3", "t4", "t5"], ["t6"]]
    assert shards.make_shards(names, 0) == [names]
    assert shards.make_shards(names, 10) == [names]
    assert shards.make_shards([], 3) == []
    with pytest.raises(ValueError):
        shards.make_shards(names, -1)
    assert shards.in_flight_name(3) == "in_flight_shard00003.npz" != shards.in_flight_name(4)


def test_resources_are_shared_out_and_a_too_small_cluster_is_refused():
    assert ray_backend.plan_resources({"CPU": 2.0}, 2, 0, 0) == (1, 0)
    assert ray_backend.plan_resources({"CPU": 2.0}, 1, 0, 0) == (2, 0)
    assert ray_backend.plan_resources({"CPU": 8.0, "GPU": 2.0}, 2, 0, 1) == (4, 1)
    with pytest.raises(ray_backend.BackendError, match="needs 6 CPUs but the Ray cluster has 4"):
        ray_backend.plan_resources({"CPU": 4.0}, 3, 2, 0)
    with pytest.raises(ray_backend.BackendError, match="needs 2 GPUs but the Ray cluster has 0"):
        ray_backend.plan_resources({"CPU": 4.0}, 2, 0, 1)
    with pytest.raises(ray_backend.BackendError, match="at least 1"):
        ray_backend.plan_resources({"CPU": 4.0}, 0, 0, 0)


def test_an_address_nobody_answers_is_named_at_once():
    with socket.socket() as probe:       # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ray_backend.BackendError, match=f"--ray_address=127.0.0.1:{port}: nothing answers"):
        ray_backend.check_reachable(f"127.0.0.1:{port}", timeout=2)
    with pytest.raises(ray_backend.BackendError, match="not 'auto' or host:port"):
        ray_backend.check_reachable("headnode")
    ray_backend.check_reachable("auto")   # left to Ray, which searches for a local cluster
    ray_backend.check_reachable(None)


def test_missing_ray_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)   # import ray now raises ImportError
    with pytest.raises(ray_backend.BackendError, match=r"pip install -e '\.\[ray\]'"):
        ray_backend.require_ray()


def test_summary_counts_faces_failures_and_throughput(tmp_path):
    summary = RunSummary("local", 1, faces=10, done_before=3, batch_size=8)
    summary.add(ShardResult(0, ["a", "b"], steps=300, seconds=50.0))
    summary.add(ShardResult(1, ["c"], steps=100, seconds=20.0))
    summary.finish(60.0)
    assert summary.written == 3 and summary.steps == 400 and summary.faces_per_hour == 180.0
    assert "3 faces written now, 3 done before, 10 in the database; 60 s, 180.0 faces/h" in summary.text()
    summary.write(tmp_path)
    kept = json.loads((tmp_path / "run_summary.json").read_text())
    assert kept["written"] == 3 and kept["faces_per_hour"] == 180.0
    timing = json.loads((tmp_path / "timing.json").read_text())
    assert timing[-1]["faces"] == 3 and timing[-1]["steps"] == 400 and timing[-1]["backend"] == "local"


def test_a_ray_summary_counts_from_the_records_on_disk(tmp_path):
    # c was resumed mid-face (its first 40 steps in an earlier run); f was written before its shard failed.
    for name, record in {"a": {"steps": 120}, "c": {"steps": 100, "resumed_from_evaluation": 40},
                         "f": {"steps": 80}}.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(record))
    summary = RunSummary("ray", 2, faces=6, done_before=0, batch_size=8)
    summary.fail(2, ["d", "e", "f"], "RayActorError: the actor died")
    summary.tally(tmp_path, ["a", "c", "f"], is_done=lambda folder, name: (folder / f"{name}.json").is_file())
    assert summary.written == 3 and summary.steps == 120 + 60 + 80
    assert summary.failures[0]["faces"] == 2 and "names" not in summary.failures[0]
    assert "shard 2 (from d, 2 faces): RayActorError: the actor died" in summary.text()
