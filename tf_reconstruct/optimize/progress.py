"""The reconstruction's progress bar, counted in face-steps so that its ETA holds from the first minutes.

    with progress_bar(faces, settings) as bar:   # bar.step(live) after each engine step,
        ...                                      # bar.face_done(steps) when a face is written

Faces finish in bursts (a batch of 8 starts together and stops after 100-700 steps each), so a bar of
faces has no rate to go on until late, and its first ETA is off by hours. The work is face-steps instead:
each engine step adds one per live slot. The run's total is the steps of the finished faces plus an
estimate for the rest: the mean steps of the finished faces, shrunk towards a prior while few are done.
"""

import contextlib

from tqdm import tqdm

# A prior face costs this many times the patience (the paper's engine: 258-438 steps a face on LFW, with
# patience 50), capped by the step cap; it weighs as much as PRIOR_FACES finished faces.
PRIOR_PATIENCES = 6
PRIOR_FACES = 2


def expected_steps(finished_steps, prior):
    """Mean steps a face is expected to take: the finished faces' steps (a list) shrunk towards `prior`."""
    return (sum(finished_steps) + prior * PRIOR_FACES) / (len(finished_steps) + PRIOR_FACES)


def total_work(faces, finished_steps, prior, done_work):
    """Face-steps the run will take: those of its finished faces, the expected steps of the others, and never
    less than the work already done (`done_work`) plus a step."""
    estimate = sum(finished_steps) + (faces - len(finished_steps)) * expected_steps(finished_steps, prior)
    return max(estimate, done_work + (1 if len(finished_steps) < faces else 0))


class StepBar:
    """A tqdm bar of face-steps with the faces done as its postfix."""

    def __init__(self, faces, prior, disable=False):
        self.faces, self.prior, self.finished, self.done = faces, prior, [], 0
        self.bar = tqdm(total=round(total_work(faces, [], prior, 0)), desc="reconstructing", unit="step",
                        disable=disable or not faces, dynamic_ncols=True)
        self.bar.set_postfix_str(f"0/{faces} faces", refresh=False)

    def step(self, live):
        """One engine step of `live` samples."""
        self.done += live
        self.bar.update(live)

    def face_done(self, steps):
        """A face written after `steps` steps (its own, counted over every attempt)."""
        self.finished.append(steps)
        self.bar.total = round(total_work(self.faces, self.finished, self.prior, self.done))
        self.bar.set_postfix_str(f"{len(self.finished)}/{self.faces} faces", refresh=False)
        self.bar.refresh()

    def close(self):
        self.bar.close()


@contextlib.contextmanager
def progress_bar(faces, settings, disable=False):
    """A StepBar for `faces` faces of the engine `settings` (an EngineSettings), closed on exit."""
    bar = StepBar(faces, min(settings.steps, PRIOR_PATIENCES * settings.patience), disable)
    try:
        yield bar
    finally:
        bar.close()
