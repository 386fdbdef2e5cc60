"""The slot queue's bookkeeping on a one-number problem, no models: loss_i = a_i (w - t_i)^2 by SGD at lr 0.1,
so a sample's path is known by hand (w - t shrinks by 1 - 0.2 a each step; a = 10 flips its sign, an overshoot).
The success stop's signal stands in for the attacker's cosine: 1 - |w - t|."""

import numpy as np
import tensorflow as tf

from tf_reconstruct.optimize import slot_queue
from tf_reconstruct.optimize import slots as slots_module

PATIENCE, STEPS, RATE = 3, 60, 0.1


def objective(slots, w_plus):
    """[B, 1, 1] latents against targets [B, 2] = (t, a): the loss a (w - t)^2, followed and tracked, and the
    signal 1 - |w - t|."""
    t, a = slots.targets[:, 0], slots.targets[:, 1]
    loss = a * tf.square(w_plus[:, 0, 0] - t)
    return loss, loss, 1.0 - tf.abs(w_plus[:, 0, 0] - t)


def run(targets, batch_size, optimizer="sgd", restarts=0, sizes=None, checkpoints=None, success=None):
    body = slots_module.step_body(objective, lambda latent: latent, PATIENCE, STEPS, success)

    def new_slots(size):
        if sizes is not None:
            sizes.append(size)
        return slots_module.Slots(size, (1, 1), 2, optimizer, RATE, body, compiled=True, jit_compile=False)

    finisher = slot_queue.Finisher(to_w_plus=lambda latent: np.asarray(latent),
                                   render=lambda w_plus: (np.zeros((1, 4, 4, 3), np.uint8), np.zeros((1, 4, 4, 3))),
                                   score=lambda images, index: 1.0, render_final=False)
    queue = slot_queue.SlotQueue(new_slots, np.zeros((len(targets), 1, 1), np.float32), np.float32(targets),
                                 batch_size=batch_size, refill=optimizer == "sgd",
                                 rate_at=lambda taken, attempt: RATE * slot_queue.RESTART_RATE_FACTOR ** attempt,
                                 learning_rate=RATE, restarts=restarts, patience=PATIENCE, finisher=finisher,
                                 success_hold=success[1] if success else 0)
    while queue.fill():
        queue.step()
        if checkpoints is not None:
            checkpoints.append(queue.checkpoint()[1])
    return queue.results


def test_a_sample_ends_as_it_would_alone_whatever_its_neighbours():
    # a = 5: w reaches t in one step, best at evaluation 2, stops 3 later; a = 1 and 2 converge slowly.
    targets = [(1.0, 5.0), (2.0, 1.0), (-1.0, 2.0), (0.5, 5.0), (3.0, 1.0)]
    together = run(targets, batch_size=2)
    alone = [run([target], batch_size=1)[0] for target in targets]
    for mine, solo in zip(together, alone):
        assert mine.steps == solo.steps and mine.loss == solo.loss
        np.testing.assert_array_equal(mine.w_plus, solo.w_plus)
    assert together[0].steps == 2 + PATIENCE and together[0].loss == 0.0
    assert [result.index for result in together] == list(range(5))


def test_free_slots_are_refilled_and_a_thinning_batch_shrinks():
    sizes, checkpoints = [], []
    # Three samples stop at evaluation 5, one converges slowly, one waits.
    run([(1.0, 5.0), (1.0, 5.0), (1.0, 5.0), (1.0, 1.0), (2.0, 5.0)], batch_size=4, sizes=sizes,
        checkpoints=checkpoints)
    assert checkpoints[0] == {"size": 4, "owner": [0, 1, 2, 3], "pending": [4]}
    assert checkpoints[4] == {"size": 4, "owner": [-1, -1, -1, 3], "pending": [4]}
    # The waiting sample takes a freed slot; with 2 live of 4 the batch shrinks to 2, and to 1 once 4 stops.
    assert checkpoints[5] == {"size": 2, "owner": [4, 3], "pending": []}
    assert checkpoints[10] == {"size": 1, "owner": [3], "pending": []}
    assert sizes == [4, 2, 1]


def test_adam_runs_groups_each_with_a_fresh_optimizer():
    sizes, checkpoints = [], []
    run([(1.0, 5.0), (2.0, 1.0), (0.5, 5.0)], batch_size=2, optimizer="adam", sizes=sizes, checkpoints=checkpoints)
    assert sizes == [2, 2]
    # The second group starts only when the whole first group has stopped.
    assert all(layout["pending"] == [2] for layout in checkpoints if 0 in layout["owner"] or 1 in layout["owner"])


def test_an_overshooting_sample_starts_again_with_half_the_step():
    # a = 10 at lr 0.1 flips w - t each step: the loss never improves after the first evaluation.
    plain = run([(1.0, 10.0)], batch_size=1)[0]
    assert plain.restarts == 0 and plain.loss == 10.0 and plain.steps == 1 + PATIENCE
    assert slot_queue.overshot(plain.steps, PATIENCE, PATIENCE)
    again = run([(1.0, 10.0)], batch_size=1, restarts=1)[0]
    # The second attempt, at lr 0.05, lands on t at once; both attempts count in the steps.
    assert again.restarts == 1 and again.loss == 0.0 and again.steps == (1 + PATIENCE) + (2 + PATIENCE)
    assert len(again.loss_curve) == again.steps


def test_the_success_stop_ends_a_face_after_k_evaluations_at_the_level():
    # a = 1, t = 1 from w = 0: evaluation k sees w - t = -0.8^(k-1), so the signal 1 - 0.8^(k-1) first reaches
    # 0.5 at k = 5 (0.59; 0.49 at k = 4) and has held there 3 evaluations in a row at k = 7.
    reached, slow = run([(1.0, 1.0), (3.0, 0.01)], batch_size=2, success=(0.5, 3))
    assert reached.steps == 7 and reached.stopped_by == "success"
    np.testing.assert_allclose(reached.w_plus[0, 0], 1 - 0.8 ** 6, rtol=1e-6)   # the best: the last evaluated
    # Its neighbour, far below the level, runs on to the cap as it would alone.
    assert slow.steps == STEPS and slow.stopped_by == "cap"
    # Without the rule the same face runs to the cap; a face that stops improving ends on patience.
    plain, flat = run([(1.0, 1.0), (1.0, 5.0)], batch_size=2)
    assert plain.steps == STEPS and plain.stopped_by == "cap"
    assert flat.steps == 2 + PATIENCE and flat.stopped_by == "patience"
    # A higher level starts the count later: 0.7 is first reached at k = 7 (0.74), so hold 5 stops at k = 11.
    assert run([(1.0, 1.0)], batch_size=1, success=(0.7, 5))[0].steps == 11
