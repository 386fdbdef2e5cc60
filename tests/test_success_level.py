"""The success stop's level: the attacker's genuine-pair cosines on LFW's View 1 training pairs, leaving out the
people a scored run uses (hand-made cases, then the command on 3 real pairs)."""

import json

import numpy as np
import pytest

from cli_in_process import run_cli
from conftest import require_shared_data
from tf_reconstruct.datasets import selection
from tf_reconstruct.datasets.errors import DatasetError
from tf_reconstruct.datasets.lfw import Pair
from tf_reconstruct.studies import success_level


def test_genuine_pairs_leave_out_impostors_and_the_excluded_people():
    pairs = [Pair("Ann_Lee_0001", "Ann_Lee_0002", True), Pair("Ann_Lee_0001", "Bo_Wu_0001", False),
             Pair("Bo_Wu_0001", "Bo_Wu_0003", True), Pair("Jean_Van_Dam_0001", "Jean_Van_Dam_0002", True)]
    assert success_level.genuine_pairs(pairs, {"Bo_Wu"}) == [("Ann_Lee_0001", "Ann_Lee_0002"),
                                                             ("Jean_Van_Dam_0001", "Jean_Van_Dam_0002")]
    assert success_level.identity_of("Jean_Van_Dam_0002") == "Jean_Van_Dam"


def test_quantile_rows_by_hand():
    rows = success_level.quantile_rows([0.0, 0.1, 0.2, 0.3, 0.4], quantiles=(0.25, 0.5, 0.9))
    # numpy's linear interpolation: position q * (n - 1) -> 1, 2, 3.6
    assert [row["statistic"] for row in rows] == ["25% quantile", "50% quantile", "90% quantile", "mean", "pairs"]
    np.testing.assert_allclose([row["cosine"] for row in rows], [0.1, 0.2, 0.36, 0.2, 5])


def test_excluded_identities_read_runs_and_name_a_folder_without_a_selection(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "selection.json").write_text(json.dumps({"identities": {"Ann_Lee": [], "Bo_Wu": []}}))
    assert selection.excluded_identities([tmp_path / "run"], "--success_exclude") == {"Ann_Lee", "Bo_Wu"}
    with pytest.raises(DatasetError, match="--success_exclude=.*nowhere: no selection.json"):
        selection.excluded_identities([tmp_path / "nowhere"], "--success_exclude")


@pytest.mark.models
def test_the_command_scores_real_pairs_and_resumes_from_its_cache(tmp_path):
    data_dir = require_shared_data("lfw")
    args = [f"--data_dir={data_dir}", "--success_exclude=", "--success_max_pairs=3", f"--success_out={tmp_path}"]
    done = run_cli("tf_reconstruct.studies.success_level", *args)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = (tmp_path / "success_level.csv").read_text()
    assert "50% quantile" in rows and (tmp_path / "success_level.png").stat().st_size > 1000
    table = {line.split(",")[0]: float(line.split(",")[1]) for line in rows.splitlines()[1:]}
    assert table["pairs"] == 3 and 0.2 < table["50% quantile"] < 1.0     # two photos of one person agree
    cache = tmp_path / "cache" / "success_level_mobilefacenet192.npz"
    stamp = cache.stat().st_mtime_ns
    again = run_cli("tf_reconstruct.studies.success_level", *args)
    assert again.returncode == 0 and cache.stat().st_mtime_ns == stamp   # nothing embedded again
    assert (tmp_path / "success_level.csv").read_text() == rows
    missing = run_cli("tf_reconstruct.studies.success_level", *args, "--success_pairs_file=nothing.txt")
    assert missing.returncode == 2 and "nothing.txt not found" in missing.stderr
