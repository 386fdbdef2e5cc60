"""A database of stored templates, as an auditor receives it: -> [(name, template [d] float32)].

    load_templates(path, embedding_dim)

`path` is one of:
- a `.npy` of one template [d] (named after the file) or many [N, d] (named <stem>_<row>, the row number
  zero-padded to at least 4 digits);
- a folder of such `.npy` files (hidden files are skipped: `.partial.*` is what an interrupted write leaves);
- a list file (any other suffix, e.g. `db.txt`): one `.npy` path per line, relative to the list file's
  folder; blank lines and lines starting with '#' are skipped.

Everything is read and validated before any work starts, so a bad database stops a run before a worker
starts or a file is written; the error names the file, and for NaN, Inf or all-zero templates the rows.
"""

import pathlib

import numpy as np

from tf_reconstruct.optimize import reconstruct as engine


def list_files(path):
    """The `.npy` files a database path stands for, in order."""
    path = pathlib.Path(path)
    if not path.exists():
        raise engine.TemplateError(f"--templates={path} does not exist: give a .npy file, a folder of .npy files "
                                   f"or a list file of .npy paths")
    if path.is_dir():
        files = sorted(file for file in path.glob("*.npy") if not file.name.startswith("."))
        if not files:
            raise engine.TemplateError(f"--templates={path} holds no .npy files")
        return files
    if path.suffix == ".npy":
        return [path]
    files = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        file = pathlib.Path(line) if pathlib.Path(line).is_absolute() else path.parent / line
        if not file.is_file():
            raise engine.TemplateError(f"{path}, line {number}: {file} does not exist; fix the path or remove the line")
        files.append(file)
    if not files:
        raise engine.TemplateError(f"--templates={path} lists no .npy files (one path per line)")
    return files


def read_file(file, embedding_dim):
    """[(name, template)] of one `.npy` file, validated."""
    file = pathlib.Path(file)
    try:
        array = np.load(file, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise engine.TemplateError(f"{file} is not a readable .npy array ({error})") from error
    checked = engine.check_templates(array, embedding_dim, name=str(file))
    if array.ndim == 1:
        return [(file.stem, checked[0])]
    width = max(4, len(str(len(checked) - 1)))
    return [(f"{file.stem}_{index:0{width}d}", row) for index, row in enumerate(checked)]


def load_templates(path, embedding_dim):
    """Every template of the database at `path`, validated, with unique names."""
    templates = [entry for file in list_files(path) for entry in read_file(file, embedding_dim)]
    seen, clashes = set(), []
    for name, _ in templates:
        if name in seen:
            clashes.append(name)
        seen.add(name)
    if clashes:
        raise engine.TemplateError(f"--templates={path}: template names collide ({', '.join(clashes[:5])}); "
                                   f"rename the files")
    return templates
