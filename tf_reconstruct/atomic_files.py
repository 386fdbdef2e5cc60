"""Writing files so that no reader, and no interrupted run, ever sees one half-written.

Every output of the project (tables, figures, records, caches, checkpoints, converted weights) is
written to a sibling `.partial.<name>` and renamed over the real name only once complete: a rename
within a folder is atomic, so an interrupt leaves either the old file or the new one.
"""

import contextlib
import os
import pathlib


def partial_path(path):
    """`a/b.weights.h5` -> `a/.partial.b.weights.h5`.

    The name is kept whole at the end because numpy, OpenCV and Keras pick the format from its suffixes
    (Keras 2.15 writes its new format only for `.weights.h5`).
    """
    path = pathlib.Path(path)
    return path.with_name(".partial." + path.name)


@contextlib.contextmanager
def replacing(path):
    """Yields the partial path to write; on leaving, it replaces `path`, or is removed if the block raised.

    The parent folder is created. Use as: `with replacing(out) as temporary: np.savez(temporary, ...)`.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = partial_path(path)
    try:
        yield temporary
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, path)


def write_text(path, text):
    with replacing(path) as temporary:
        temporary.write_text(text)


def write_bytes(path, data):
    with replacing(path) as temporary:
        temporary.write_bytes(data)
