"""The optimisation slots: a batch of samples optimised together, each with its own stopping state.

    Slots(size, latent_shape, embedding_dim, optimizer, learning_rate, step_body, compiled, jit_compile)
    step_body(objective, to_w_plus, patience, steps, success) -> the compiled step's body, slots -> loss [B]
    compact(slots, owner, live, new_slots) -> a smaller Slots holding the live samples
    in_flight_state(...) -> a running sample's whole state, for optimize/in_flight.py

A stopped sample keeps its best latent and is no longer changed, while the others go on in the same batch.
"""

import numpy as np
import tensorflow as tf

from tf_reconstruct.optimize import stopping

# The rows of a slot that make up a running sample's state (the anchor is its start, given again on restore).
SLOT_STATE = ("latent", "best_latent", "best_loss", "stale_steps", "active", "steps_taken", "targets", "held_steps")
# What a state saved before a row existed means by it (in-flight checkpoints of older runs).
OLDER_STATE = {"held_steps": 0}


class Slots:
    """`size` optimisation slots: the latent tf.Variable, the stopping state, and the compiled SGD/Adam step."""

    def __init__(self, size, latent_shape, embedding_dim, optimizer, learning_rate, step_body, compiled,
                 jit_compile):
        self.size = size
        zeros = np.zeros((size, *latent_shape), np.float32)
        self.latent = tf.Variable(zeros, name="latent")
        self.best_latent = tf.Variable(zeros, name="best_latent")
        self.anchor = tf.Variable(zeros, name="anchor")   # each sample's start (the anchor penalty)
        best_loss, stale_steps, active = stopping.initial_state(size)
        self.best_loss, self.stale_steps = tf.Variable(best_loss), tf.Variable(stale_steps)
        self.active = tf.Variable(tf.zeros_like(active))
        self.steps_taken = tf.Variable(tf.zeros([size], tf.int32))
        self.held_steps = tf.Variable(tf.zeros([size], tf.int32))   # the success stop's count (stopping.succeed)
        self.targets = tf.Variable(np.zeros((size, embedding_dim), np.float32))
        # Per-slot learning-rate factor (a schedule at each sample's own step); exact for SGD.
        self.rate_scale = tf.Variable(tf.ones([size]))
        self.optimizer = (tf.keras.optimizers.SGD(learning_rate) if optimizer == "sgd"
                          else tf.keras.optimizers.Adam(learning_rate))
        body = lambda: step_body(self)  # noqa: E731
        self.step = tf.function(body, jit_compile=jit_compile) if compiled else body

    def load(self, slot, latent, target):
        """Starts a new sample in `slot`."""
        for variable, value in ((self.latent, latent), (self.best_latent, latent), (self.anchor, latent),
                                (self.targets, target), (self.best_loss, np.inf), (self.stale_steps, 0),
                                (self.active, True), (self.steps_taken, 0), (self.held_steps, 0)):
            _set_row(variable, slot, value)

    def state_of(self, slot):
        return {name: getattr(self, name).numpy()[slot] for name in SLOT_STATE}

    def restore(self, slot, state, target, start):
        """Puts a sample back in `slot` mid-optimisation, from `state_of` (its target and start given again)."""
        for name in SLOT_STATE:
            value = target if name == "targets" else state[name] if name in state else OLDER_STATE[name]
            _set_row(getattr(self, name), slot, value)
        _set_row(self.anchor, slot, start)


def _set_row(variable, row, value):
    array = variable.numpy()
    array[row] = value
    variable.assign(array)


def step_body(objective, to_w_plus, patience, steps, success=None):
    """One optimisation step of every slot: follow the objective's gradient, update each sample's stopping
    state and best latent. `objective(slots, w_plus)` -> (followed [B], tracked [B], cosine [B] or None)
    (optimize/objective.py); `to_w_plus(latent)` applies the space and the restraint; `success` is None or
    (level, hold) of the success stop (stopping.succeed). Returns body(slots) -> tracked loss [B]."""
    def body(slots):
        mask_shape = [slots.size] + [1] * (len(slots.latent.shape) - 1)
        with tf.GradientTape() as tape:
            followed, per_sample, cosines = objective(slots, to_w_plus(slots.latent))
            # Samples are independent, so the gradient of the sum is each sample's own gradient.
            total = tf.reduce_sum(followed)
        gradient = tape.gradient(total, slots.latent)
        was_active = slots.active.read_value()
        state, improved = stopping.update((slots.best_loss, slots.stale_steps, was_active), per_sample,
                                          slots.steps_taken + 1, patience, steps)
        if success is not None:
            held, keep = stopping.succeed(slots.held_steps, cosines, was_active, *success)
            slots.held_steps.assign(held)
            state = (state[0], state[1], tf.logical_and(state[2], keep))
        slots.best_latent.assign(tf.where(tf.reshape(improved, mask_shape), slots.latent, slots.best_latent))
        previous = tf.identity(slots.latent)
        keep = tf.reshape(state[2], mask_shape)
        scale = tf.reshape(slots.rate_scale * tf.cast(state[2], tf.float32), mask_shape)
        slots.optimizer.apply_gradients([(gradient * scale, slots.latent)])
        # Adam's moments would still move a stopped sample: put it back exactly.
        slots.latent.assign(tf.where(keep, slots.latent, previous))
        slots.steps_taken.assign_add(tf.cast(was_active, tf.int32))
        slots.best_loss.assign(state[0])
        slots.stale_steps.assign(state[1])
        slots.active.assign(state[2])
        return per_sample
    return body


def in_flight_state(slot_state, attempts, curve, earlier):
    """A running sample's whole state: its slot's rows (`SLOT_STATE` but the target), the restarts it has
    begun, its loss curve and, after a restart, (best loss, best latent, evaluations) of its earlier attempts."""
    state = {name: np.array(value) for name, value in slot_state.items() if name != "targets"}
    return {**state, "attempts": attempts, "curve": list(curve), "earlier": earlier}


def compact(slots, owner, live, new_slots):
    """Moves the live samples into a smaller batch (the next power of two above their count)."""
    size = 1 << (len(live) - 1).bit_length()
    smaller = new_slots(size)
    states = [{**slots.state_of(slot), "anchor": slots.anchor.numpy()[slot]} for slot in live]
    for name in SLOT_STATE + ("anchor",):
        variable = getattr(smaller, name)
        array = variable.numpy()
        for row, state in enumerate(states):
            array[row] = state[name]
        variable.assign(array)
    return smaller, [owner[slot] for slot in live] + [-1] * (size - len(live))
