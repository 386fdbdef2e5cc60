"""Who is in which optimisation slot: templates wait, run in a slot, then finish or start again.

    SlotQueue(new_slots, starts, targets, ...) -> queue; while queue.fill(): queue.step()
    overshot(steps_taken, stale_steps, patience) -> whether a stopped attempt should start again

reconstruct_stream (optimize/reconstruct.py) builds the objective and the slots; this file keeps the
bookkeeping around them: refilling free slots (SGD) or running groups (Adam), restarts, compaction of a
thinning batch, each sample's step size, the finished samples and the in-flight checkpoints.
"""

import dataclasses

import numpy as np
from absl import logging

from tf_reconstruct.optimize import slots as slots_module

# Beyond the paper (`restarts`): a sample that stops on patience with its best loss in its first
# OVERSHOOT_STEPS evaluations hardly moved from its start, because the first SGD steps overshot; it starts
# again from the same latent with the step scaled by RESTART_RATE_FACTOR.
OVERSHOOT_STEPS = 5
RESTART_RATE_FACTOR = 0.5


def overshot(steps_taken, stale_steps, patience):
    """True for a sample that stopped on patience with its best loss within its first OVERSHOOT_STEPS steps.

    steps_taken: evaluations of this attempt; stale_steps: evaluations since its best (so the best was
    evaluation steps_taken - stale_steps).
    """
    return stale_steps >= patience and steps_taken - stale_steps <= OVERSHOOT_STEPS


@dataclasses.dataclass
class SampleResult:
    """One finished template: its best latent as w+ [num_ws, 512], best loss, steps, loss curve, and, when
    rendered, the full-resolution uint8 face and the cosine of its embedding to the template."""
    index: int
    w_plus: np.ndarray
    loss: float
    steps: int                 # evaluations over every attempt
    loss_curve: list           # every attempt's losses, one after the other
    final_cosine: float = None
    image: np.ndarray = None
    restarts: int = 0
    stopped_by: str = "patience"   # what ended its last attempt: 'patience', 'cap' or 'success'


@dataclasses.dataclass
class Finisher:
    """What the queue calls on a stopped sample.

    to_w_plus(latent [1, ...]) -> w+ [1, num_ws, 512]; render(w_plus) -> (uint8 [1, R, R, 3], float images);
    score(float_images, index) -> the rendered face's cosine to template `index`; face_check(uint8 [R, R, 3])
    -> bool or None; render_final: render and score finished samples; on_done(SampleResult) or None.
    """
    to_w_plus: object
    render: object
    score: object
    face_check: object = None
    render_final: bool = True
    on_done: object = None


class SlotQueue:
    """The batch of slots and its owners.

    Args:
      new_slots: size -> an empty slots_module.Slots.
      starts: [N, ...] each template's starting latent; targets: [N, D].
      batch_size: slots at first. refill: SGD's way (a free slot takes the next template at once) rather
        than Adam's (a fresh optimizer for each group of `batch_size`, once the whole group has stopped).
      rate_at: (evaluations taken, restarts begun) -> the sample's step size.
      learning_rate: the base rate the slots' optimizer holds (the per-slot scale is relative to it).
      restarts, patience: see reconstruct_stream.
      finisher: a Finisher.
      resume: {index: in-flight state}; those samples go first. layout: a checkpoint's layout, to rebuild.
      earlier: {index: (best loss, best latent, evaluations)} of attempts made before this run.
    """

    def __init__(self, new_slots, starts, targets, *, batch_size, refill, rate_at, learning_rate, restarts,
                 patience, finisher, resume=None, layout=None, earlier=None, success_hold=0):
        self.new_slots, self.starts, self.targets = new_slots, starts, targets
        self.refill, self.rate_at, self.learning_rate = refill, rate_at, learning_rate
        self.restarts, self.patience, self.finisher = restarts, patience, finisher
        self.success_hold = success_hold    # the success stop's evaluations in a row (0: off)
        self.resume = dict(resume or {})
        count = len(targets)
        self.results = [None] * count
        self.curves = [[] for _ in range(count)]
        self.earlier = dict(earlier or {})   # index -> its attempts before the running one
        self.attempts = [1 if index in self.earlier else 0 for index in range(count)]
        self.evaluations = 0
        self.last_live = 0     # samples the last step evaluated (face-steps, for the progress bar)
        if layout is not None:
            self.slots = new_slots(layout["size"])
            self.owner, self.pending = list(layout["owner"]), list(layout["pending"])
        else:
            # Samples interrupted mid-optimisation go first, so they finish as they would have.
            self.pending = sorted(self.resume) + [index for index in range(count) if index not in self.resume]
            self.slots = new_slots(min(batch_size, count))
            self.owner = [-1] * self.slots.size   # template index in each slot, -1 when free
        for slot, index in enumerate(self.owner):
            if index >= 0:
                self._take(slot, index)

    def fill(self):
        """Gives free slots waiting templates (and compacts a thinning SGD batch); False when all is done."""
        slots = self.slots
        free = [slot for slot in range(slots.size) if self.owner[slot] < 0]
        if self.pending and free and (self.refill or len(free) == slots.size):
            if not self.refill and self.evaluations:
                self.slots = self.new_slots(slots.size)   # a fresh Adam for the next group
            for slot in free[:len(self.pending)]:
                self._take(slot, self.pending.pop(0))
        live = [slot for slot in range(self.slots.size) if self.owner[slot] >= 0]
        if live and self.refill and not self.pending and len(live) <= self.slots.size // 2:
            self.slots, self.owner = slots_module.compact(self.slots, self.owner, live, self.new_slots)
        return bool(live)

    def step(self):
        """One evaluation of every slot at each sample's own step size; finishes the samples that stopped."""
        slots = self.slots
        taken = slots.steps_taken.numpy()
        rates = [self.rate_at(int(taken[slot]), self.attempts[index] if index >= 0 else 0)
                 for slot, index in enumerate(self.owner)]
        if self.refill:
            slots.rate_scale.assign(np.array(rates, np.float32) / self.learning_rate if self.learning_rate else
                                    np.zeros(slots.size, np.float32))
        else:
            # The optimizer keeps its own rate variable (it copies any variable it is given).
            slots.optimizer.learning_rate.assign(max(rates[slot] for slot in range(slots.size)
                                                     if self.owner[slot] >= 0))
        was_active = slots.active.numpy()
        per_sample = slots.step().numpy()
        self.evaluations += 1
        self.last_live = int(was_active.sum())
        for slot in np.flatnonzero(was_active):
            self.curves[self.owner[slot]].append(float(per_sample[slot]))
        for slot in np.flatnonzero(was_active & ~slots.active.numpy()):
            self._finish(slot)

    def checkpoint(self):
        """({index: in-flight state} of every running sample, the batch's layout) for on_checkpoint."""
        states = {index: slots_module.in_flight_state(self.slots.state_of(slot), self.attempts[index],
                                                      self.curves[index], self.earlier.get(index))
                  for slot, index in enumerate(self.owner) if index >= 0}
        return states, {"size": self.slots.size, "owner": list(self.owner), "pending": list(self.pending)}

    def progress(self):
        # Counted from the owners: a restarted slot is live again although it stopped at this step.
        return (f"step {self.evaluations}: {sum(index >= 0 for index in self.owner)}/{self.slots.size} slots live, "
                f"{len(self.pending)} waiting, {sum(result is not None for result in self.results)} done")

    def _take(self, slot, index):
        """Puts template `index` in `slot`: where it was interrupted, or at its start."""
        self.owner[slot] = index
        if index in self.resume:
            state = self.resume.pop(index)
            self.slots.restore(slot, state, self.targets[index], self.starts[index])
            self.attempts[index], self.curves[index] = int(state["attempts"]), list(state["curve"])
            if state.get("earlier") is not None:
                self.earlier[index] = state["earlier"]
        else:
            self.slots.load(slot, self.starts[index], self.targets[index])

    def _stopped_by(self, state):
        if self.success_hold and int(state["held_steps"]) >= self.success_hold:
            return "success"
        return "patience" if int(state["stale_steps"]) >= self.patience else "cap"

    def _finish(self, slot):
        """A stopped sample: starts it again (overshot, or no face) or keeps its best attempt as its result."""
        state, index, finisher = self.slots.state_of(slot), self.owner[slot], self.finisher
        best_loss, best_latent = float(state["best_loss"]), state["best_latent"]
        spent = int(state["steps_taken"])
        if index in self.earlier:
            loss_before, latent_before, spent_before = self.earlier[index]
            spent += spent_before
            if loss_before < best_loss:
                best_loss, best_latent = loss_before, latent_before
        w_plus = finisher.to_w_plus(best_latent[None])
        rendered, reason = None, None
        if self.attempts[index] < self.restarts:
            if overshot(int(state["steps_taken"]), int(state["stale_steps"]), self.patience):
                reason = (f"overshot (best loss at step {int(state['steps_taken'] - state['stale_steps'])} of "
                          f"{int(state['steps_taken'])})")
            elif finisher.face_check is not None:
                rendered = finisher.render(w_plus)
                if not finisher.face_check(rendered[0][0]):
                    reason = f"renders no face (loss {best_loss:.4g})"
                    best_loss = float("inf")   # any later attempt is preferred to a known non-face
        if reason:
            self.attempts[index] += 1
            self.earlier[index] = (best_loss, best_latent, spent)
            logging.info("template %d %s: restart %d with the step times %g", index, reason, self.attempts[index],
                         RESTART_RATE_FACTOR ** self.attempts[index])
            self.slots.load(slot, self.starts[index], self.targets[index])
            return
        self.owner[slot] = -1
        result = SampleResult(index, w_plus[0], best_loss, spent, self.curves[index], restarts=self.attempts[index],
                              stopped_by=self._stopped_by(state))
        if finisher.render_final:
            images, float_images = rendered or finisher.render(w_plus)
            result.image = images[0]
            result.final_cosine = finisher.score(float_images[:1], index)
        self.results[index] = result
        if finisher.on_done:
            finisher.on_done(result)
