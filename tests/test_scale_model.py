"""The model of the engine's slot schedule behind experiments/scale/tail_model.md, on hand-computed cases."""

import pytest

from tf_reconstruct.studies.scale_throughput import schedule_seconds, tail_cost


def per_face(size):
    return float(size)


def test_a_batch_that_keeps_its_shape_pays_for_idle_slots():
    # Faces of 3 and 1 steps in 2 slots: 3 steps of a batch of 2.
    assert schedule_seconds([3, 1], 2, False, per_face) == 6


def test_compaction_shrinks_the_batch_once_nothing_waits():
    # After the first step one face is left in 2 slots: the batch shrinks to 1 for its last 2 steps.
    assert schedule_seconds([3, 1], 2, True, per_face) == 2 + 1 + 1
    # Slots refill first: the third face waits for a free slot, then runs alone in a batch of 1.
    assert schedule_seconds([2, 2, 1], 2, True, per_face) == 2 + 2 + 1
    # The batch never starts larger than the faces there are.
    assert schedule_seconds([1], 8, True, per_face) == 1


def test_small_shards_pay_the_fixed_part_of_a_step_more_often():
    steps = [5, 9, 2, 7, 7, 3, 11, 4]
    with_fixed_part = lambda size: 1.0 + size   # noqa: E731
    assert tail_cost(steps, len(steps), 4, with_fixed_part) == pytest.approx(1.0)
    assert tail_cost(steps, 2, 4, with_fixed_part) > 1.0
