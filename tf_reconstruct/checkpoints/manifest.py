"""checkpoints/MANIFEST.json: one record per model file (source package@version, path inside, sha256, licence, use)."""

import json

from tf_reconstruct import atomic_files
from tf_reconstruct.checkpoints import sources
from tf_reconstruct.paths import checkpoint_dir


def manifest_records():
    return [{"name": model_file.name, "source": f"{package.registry}:{package.spec}",
             "archive": package.archive, "archive_sha256": package.archive_sha256,
             "path_inside": model_file.path_inside, "sha256": model_file.sha256,
             "licence": model_file.licence, "purpose": model_file.purpose}
            for package, model_file in sources.all_files()]


def write_manifest(root=None):
    path = checkpoint_dir(root) / "MANIFEST.json"
    atomic_files.write_text(path, json.dumps({"models": manifest_records()}, indent=2) + "\n")
    return path
