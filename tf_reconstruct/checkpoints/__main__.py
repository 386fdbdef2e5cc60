"""`python -m tf_reconstruct.checkpoints fetch|verify|list`: manage the pretrained-model cache.

  fetch   download every model by exact version, check sha256, extract, convert to Keras (idempotent)
  verify  re-check the sha256 of every extracted file and that every converted file exists
  list    show each model, its source and status
"""

import sys

from absl import app, flags, logging

from tf_reconstruct import flags as project_flags
from tf_reconstruct.checkpoints import convert, fetch, manifest, sources
from tf_reconstruct.paths import checkpoint_dir

FLAGS = flags.FLAGS

_CONVERTED = ("mobilestylegan_mapping.npz", "mobilestylegan_synthesis.npz", "mobilefacenet192.npz",
              "mobilefacenet512.npz", "mobilestylegan_w_avg.npy", "mobilestylegan_heads.npz",
              "mobilestylegan_landmarks.json")


def main(argv):
    if len(argv) != 2 or argv[1] not in ("fetch", "verify", "list"):
        raise app.UsageError("usage: python -m tf_reconstruct.checkpoints fetch|verify|list")
    root = checkpoint_dir(FLAGS.checkpoint_dir)
    command = argv[1]
    if command == "fetch":
        fetch.fetch_all(root)
        manifest.write_manifest(root)
        convert.convert_all(root)
        logging.info("All models fetched, verified and converted under %s", root)
        return 0
    status = fetch.verify_all(root)
    converted = {name: (root / "converted" / name).is_file() for name in _CONVERTED}
    if command == "list":
        for package, model_file in sources.all_files():
            print(f"{model_file.name:32s} {status[model_file.name]:16s} {package.registry}:{package.spec} "
                  f"{model_file.path_inside}")
        for name, present in converted.items():
            print(f"{'converted/' + name:32s} {'ok' if present else 'missing':16s}")
        return 0
    bad = {name: state for name, state in status.items() if state != "ok"}
    bad.update({name: "missing" for name, present in converted.items() if not present})
    for name, state in bad.items():
        print(f"{name}: {state}", file=sys.stderr)
    if bad:
        print(f"{len(bad)} problems; run `python -m tf_reconstruct.checkpoints fetch` to repair.", file=sys.stderr)
        return 1
    print(f"all {len(status)} model files verified and {len(converted)} converted files present in {root}")
    return 0


if __name__ == "__main__":
    project_flags.define_checkpoint_flags()
    app.run(lambda argv: sys.exit(main(argv)))
