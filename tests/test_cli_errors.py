"""Every command line tool ends on an expected user error with one line and status 2; bugs keep a traceback."""

import subprocess
import sys

import numpy as np
import pytest
from absl import app

from cli_in_process import run_cli
from tf_reconstruct import cli
from tf_reconstruct.errors import TfReconstructError


def test_clean_errors_turns_user_errors_into_one_line_and_status_2(capsys):
    def failing(argv):
        raise TfReconstructError("--templates=x.npy holds 128-d templates; give 192-d ones")
    with pytest.raises(SystemExit) as stopped:
        cli.clean_errors(failing)([])
    assert stopped.value.code == 2
    assert capsys.readouterr().err == "error: --templates=x.npy holds 128-d templates; give 192-d ones\n"

    def misused(argv):
        raise app.UsageError("give --attribute")
    with pytest.raises(SystemExit) as stopped:
        cli.clean_errors(misused)([])
    assert stopped.value.code == 2


def test_a_bug_keeps_its_traceback():
    def broken(argv):
        raise KeyError("a bug")
    with pytest.raises(KeyError):
        cli.clean_errors(broken)([])


@pytest.mark.models
@pytest.mark.parametrize("shape,expected", [((3, 128), "128-d but the extractor makes 192-d"), ((2, 192), "NaN")])
def test_reconstruct_refuses_bad_templates_in_one_line(tmp_path, shape, expected):
    templates = np.ones(shape, np.float32)
    if expected == "NaN":
        templates[1, 5] = np.nan
    np.save(tmp_path / "bad.npy", templates)
    result = run_cli("tf_reconstruct.reconstruct", f"--templates={tmp_path / 'bad.npy'}", f"--out_dir={tmp_path / 'out'}")
    assert result.returncode == 2, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and expected.lower() in last.lower() and "Traceback" not in result.stderr


def test_main_refuses_a_missing_data_dir_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tf_reconstruct.main", "--dataset=lfw",
                             f"--data_dir={tmp_path / 'nowhere'}", f"--out_root={tmp_path}"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
