"""The per-sample stopping rule on stubbed loss sequences."""

import numpy as np
import tensorflow as tf

from tf_reconstruct.optimize import stopping


def _run(sequences, patience, max_steps):
    """Feeds per-step losses [steps, B]; returns the step at which each sample stopped."""
    sequences = np.asarray(sequences, np.float32)
    state = stopping.initial_state(sequences.shape[1])
    stopped_at = np.zeros(sequences.shape[1], int)
    for step, losses in enumerate(sequences, start=1):
        was_active = state[2].numpy()
        state, _ = stopping.update(state, tf.constant(losses), tf.constant(step), patience, max_steps)
        stopped_at[was_active & ~state[2].numpy()] = step
        if not state[2].numpy().any():
            break
    return stopped_at, state


def test_stops_exactly_after_patience_steps_without_a_new_best():
    # Improves for 10 steps, then never again (equal is not an improvement).
    losses = np.concatenate([np.linspace(10, 1, 10), np.full(200, 1.0)])[:, None]
    stopped_at, state = _run(losses, patience=50, max_steps=2000)
    assert stopped_at[0] == 60
    assert state[0].numpy()[0] == 1.0 and state[1].numpy()[0] == 50


def test_a_late_improvement_resets_the_count():
    losses = np.full(200, 5.0)
    losses[0], losses[30] = 4.0, 3.0
    stopped_at, _ = _run(losses[:, None], patience=50, max_steps=2000)
    assert stopped_at[0] == 81


def test_step_cap_is_honoured():
    losses = np.linspace(100, 1, 300)[:, None]  # always improving
    stopped_at, _ = _run(losses, patience=50, max_steps=120)
    assert stopped_at[0] == 120


def test_samples_stop_independently():
    improving = np.linspace(100, 1, 100)
    flat = np.full(100, 7.0)
    stopped_at, state = _run(np.stack([improving, flat], axis=1), patience=5, max_steps=80)
    assert list(stopped_at) == [80, 6]
    assert state[0].numpy()[1] == 7.0


def test_success_counts_evaluations_in_a_row_at_the_level_and_keeps_a_stopped_count():
    held = tf.constant([0, 2, 4, 1])
    cosines = tf.constant([0.9, 0.7, 0.95, 0.2])
    active = tf.constant([True, True, True, False])
    held, keep = stopping.succeed(held, cosines, active, 0.8, 3)
    # below the level resets to 0; at or above adds one; a stopped sample keeps its count and stays stopped
    assert held.numpy().tolist() == [1, 0, 5, 1]
    assert keep.numpy().tolist() == [True, True, False, False]
    held, keep = stopping.succeed(tf.constant([2]), tf.constant([0.8]), tf.constant([True]), 0.8, 3)
    assert held.numpy().tolist() == [3] and keep.numpy().tolist() == [False]   # equal to the level counts
