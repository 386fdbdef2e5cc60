"""What a database run did: faces, failures with reasons, time and throughput, printed and kept.

    summary = RunSummary(backend, workers, faces, done_before)   # then .add(ShardResult) / .fail(...)
    summary.finish(seconds); summary.write(out_dir); print(summary.text())

Written to <out_dir>/run_summary.json (the latest run) and appended to <out_dir>/timing.json in the
format optimize/runner.py keeps, so a sharded or distributed run's seconds per face-step compare with a
local one's.
"""

import dataclasses
import json
import pathlib
import platform
import time

from tf_reconstruct import atomic_files
from tf_reconstruct.optimize import runner

SUMMARY_FILE = "run_summary.json"


@dataclasses.dataclass
class RunSummary:
    backend: str
    workers: int
    faces: int                    # templates in the database
    done_before: int              # already finished when the run began
    written: int = 0
    steps: int = 0
    seconds: float = 0.0
    batch_size: int = 0
    failures: list = dataclasses.field(default_factory=list)   # {"shard", "faces", "first", "reason"}
    events: list = dataclasses.field(default_factory=list)     # e.g. a fault drill's kill

    def add(self, result):
        self.written += len(result.written)
        self.steps += result.steps

    def fail(self, shard, names, reason):
        self.failures.append({"shard": int(shard), "faces": len(names), "first": names[0] if names else "",
                              "reason": reason, "names": list(names)})

    def tally(self, out_dir, names, is_done):
        """Counts the faces among `names` finished now from their records on disk: the truth also when a
        killed worker's shard wrote some of them before its retry; a failed shard counts its faces not done."""
        self.written = len(names)
        self.steps = steps_computed(out_dir, names)
        for failure in self.failures:
            failure["faces"] = sum(not is_done(out_dir, name) for name in failure.pop("names", []))

    def finish(self, seconds):
        self.seconds = round(seconds, 1)

    @property
    def faces_per_hour(self):
        return self.written / self.seconds * 3600 if self.seconds else 0.0

    def text(self):
        lines = [f"{self.backend}, {self.workers} worker(s): {self.written} faces written now, {self.done_before} "
                 f"done before, {self.faces} in the database; {self.seconds:.0f} s, {self.faces_per_hour:.1f} faces/h"]
        lines += self.events
        lost = sum(failure["faces"] for failure in self.failures)
        if self.failures:
            lines.append(f"{len(self.failures)} shard(s) failed ({lost} faces not done; a re-run does only these):")
            lines += [f"  shard {f['shard']} (from {f['first']}, {f['faces']} faces): {f['reason']}"
                      for f in self.failures]
        return "\n".join(lines)

    def write(self, out_dir):
        out_dir = pathlib.Path(out_dir)
        record = {**dataclasses.asdict(self), "faces_per_hour": round(self.faces_per_hour, 2),
                  "finished_at": time.strftime("%Y-%m-%d %H:%M:%S")}
        atomic_files.write_text(out_dir / SUMMARY_FILE, json.dumps(record, indent=1))
        if self.written:
            path = out_dir / runner.TIMING_FILE
            chunks = json.loads(path.read_text()) if path.is_file() else []
            chunks.append({"faces": self.written, "steps": self.steps, "seconds": self.seconds,
                           "batch_size": self.batch_size, "backend": self.backend, "workers": self.workers,
                           "cpu": platform.processor() or platform.machine(), "finished_at": record["finished_at"]})
            atomic_files.write_text(path, json.dumps(chunks, indent=1))


def steps_computed(out_dir, names):
    """Steps these finished faces cost in the run that finished them (a resumed face's earlier steps excluded)."""
    total = 0
    for name in names:
        record = json.loads((pathlib.Path(out_dir) / f"{name}.json").read_text())
        total += int(record["steps"]) - int(record.get("resumed_from_evaluation", 0))
    return total
