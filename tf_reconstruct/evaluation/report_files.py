"""Writing tables as Markdown and CSV, atomically."""

import csv
import io
import pathlib

from tf_reconstruct import atomic_files


def _format(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def markdown_table(rows):
    """[dict] rows -> a Markdown table; floats are shown to 4 significant digits, strings as they are."""
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---:|" * len(columns)]
    lines += ["| " + " | ".join(_format(row[column]) for column in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_csv(path, rows):
    """Writes [dict] rows as CSV (columns from the first row)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    atomic_files.write_text(path, buffer.getvalue())


def write_table(stem, rows, heading="", csv_only=()):
    """Writes <stem>.md (heading + table) and <stem>.csv; the `csv_only` columns (bookkeeping a later run
    reads back) are left out of the Markdown."""
    shown = [{key: value for key, value in row.items() if key not in csv_only} for row in rows]
    atomic_files.write_text(f"{stem}.md", (heading + "\n\n" if heading else "") + markdown_table(shown))
    write_csv(f"{stem}.csv", rows)


def _parsed(text):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_csv(path):
    """[dict] rows of a CSV written by write_csv, numbers parsed back ([] when the file is missing)."""
    path = pathlib.Path(path)
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return [{key: _parsed(value) for key, value in row.items()} for row in csv.DictReader(handle)]


def write_text(path, text):
    atomic_files.write_text(path, text)
