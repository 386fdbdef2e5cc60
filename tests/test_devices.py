"""Device selection: the precision 'auto' picks on each kind of machine, and the install's CPU / GPU choice.
The GPU path has not been run on a GPU here (these machines have none); its selection logic is what is tested."""

import configparser
import pathlib
import shutil
import subprocess

import pytest

from tf_reconstruct.models.devices import auto_precision

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_auto_precision_follows_the_device():
    assert auto_precision([(8, 6)], cpu_native_bfloat16=False) == "bfloat16"       # an Ampere GPU
    assert auto_precision([(7, 5)], cpu_native_bfloat16=True) == "float32"         # a Turing GPU emulates it
    assert auto_precision([(9, 0), (7, 0)], cpu_native_bfloat16=False) == "float32"  # every GPU must have it
    assert auto_precision([], cpu_native_bfloat16=True) == "bfloat16"              # a CPU with AMX
    assert auto_precision([], cpu_native_bfloat16=False) == "float32"


def test_tensorflow_comes_from_the_cpu_or_the_gpu_extra():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    extras = {name: value.split() for name, value in config["options.extras_require"].items()}
    assert extras["cpu"] == ["tensorflow-cpu==2.15.1"]
    assert extras["gpu"] == ["tensorflow[and-cuda]==2.15.1"]
    assert not any(line.strip().startswith("tensorflow") and "addons" not in line
                   for line in config["options"]["install_requires"].splitlines())


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("choice,removed", [("cpu", "tensorflow"), ("gpu", "tensorflow-cpu")])
def test_make_installs_the_chosen_build_and_removes_the_other(choice, removed):
    plan = subprocess.run(["make", "-n", "-B", "setup", f"TF={choice}"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout
    assert f"pip uninstall --quiet --yes {removed}\n" in plan
    assert f'pip install --quiet -e ".[{choice},test,ray]"' in plan
    refused = subprocess.run(["make", "-n", "setup", "TF=tpu"], cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode != 0 and "choose TF=cpu or TF=gpu" in refused.stderr
