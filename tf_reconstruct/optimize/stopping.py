"""Per-sample early stopping: stop after `patience` steps without a new best loss, or at `max_steps` (the
paper's rule, `update`); beyond the paper, also once the attacker's cosine has held above a level (`succeed`).

The state is [B] tensors (best loss, steps since the best, active flag; steps held above the level); the
functions are pure, so they run inside the compiled step and in the tests on stubbed sequences.
"""

import tensorflow as tf


def initial_state(batch):
    """(best_loss = +inf, stale_steps = 0, active = True), each [batch]."""
    return (tf.fill([batch], float("inf")), tf.zeros([batch], tf.int32), tf.ones([batch], tf.bool))


def update(state, losses, step, patience, max_steps):
    """One step of the rule.

    Args:
      state: (best_loss [B] float32, stale_steps [B] int32, active [B] bool) before this step.
      losses: [B] float32, the loss of the current latent (evaluated before its update).
      step: 1-based index of this evaluation.
      patience, max_steps: the paper's 50 and 2000.

    Returns:
      (new state, improved [B] bool). A sample already stopped keeps its state. It stops once it has gone
      `patience` evaluations without a new best, or once `step` reaches `max_steps`.
    """
    best_loss, stale_steps, active = state
    improved = tf.logical_and(active, losses < best_loss)
    best_loss = tf.where(improved, losses, best_loss)
    stale_steps = tf.where(improved, 0, tf.where(active, stale_steps + 1, stale_steps))
    active = tf.logical_and(active, stale_steps < patience)
    active = tf.logical_and(active, step < max_steps)
    return (best_loss, stale_steps, active), improved


def succeed(held, cosines, active, level, hold):
    """The success stop: a sample stops once its cosine to the template has been >= `level` for `hold`
    evaluations in a row. The cosine is the attacker's own (through the fixed warp): a judge never decides.

    Args:
      held: [B] int32, evaluations in a row at or above the level before this one.
      cosines: [B] float32, the current latent's cosine (evaluated before its update).
      active: [B] bool, whether each sample was running at this evaluation.
    Returns:
      (held [B] int32, keep [B] bool): a stopped sample keeps its count; keep is False where the rule stops.
    """
    held = tf.where(active, tf.where(cosines >= level, held + 1, 0), held)
    return held, tf.logical_and(active, held < hold)
