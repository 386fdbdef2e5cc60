"""Resemblance metrics on hand-computed cases."""

import math

import numpy as np

from tf_reconstruct.metrics import resemblance


def test_gender_agreement_compares_decisions_at_one_half():
    assert resemblance.gender_agreement([0.9, 0.2, 0.6, 0.4], [0.7, 0.1, 0.4, 0.51]) == 0.5
    assert math.isnan(resemblance.gender_agreement([], []))


def test_age_differences_are_absolute():
    np.testing.assert_array_equal(resemblance.age_differences([30, 50], [40, 45]), [10, 5])


def test_summary_leaves_out_pairs_without_a_described_face():
    pairs = [({"gender": 0.9, "age": 40}, {"gender": 0.8, "age": 50}),
             ({"gender": 0.9, "age": 40}, {"gender": 0.1, "age": 42}),
             ({"gender": 0.2, "age": 30}, None)]
    row = resemblance.summary(pairs)
    assert row["identities"] == 3 and row["described"] == 2
    assert row["gender agreement %"] == 50.0
    assert row["mean age difference (abs, years)"] == 6.0 and row["median age difference (abs, years)"] == 6.0
