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


def test_consistent_agreement_counts_only_people_whose_photos_the_judge_calls_alike():
    # Person 1: photos alike (male), face male -> agrees; person 2: photos differ -> left out;
    # person 3: photos alike (female), face male -> disagrees; person 4: alike (female), face female -> agrees.
    agreement, counted = resemblance.consistent_gender_agreement([0.9, 0.8, 0.1, 0.3], [0.7, 0.2, 0.4, 0.2],
                                                                 [0.6, 0.9, 0.8, 0.1])
    assert counted == 3 and agreement == 2 / 3
    assert math.isnan(resemblance.consistent_gender_agreement([0.9], [0.1], [0.9])[0])


def test_summary_adds_the_consistent_agreement_from_second_photos():
    male, female = {"gender": 0.9, "age": 40}, {"gender": 0.1, "age": 40}
    pairs = [(male, male), (male, female), (female, male), (female, female)]
    row = resemblance.summary(pairs, [male, female, female, None])
    # Consistent: pairs 1 and 3 (pair 2's second photo differs, pair 4 has none) -> 1 of 2 agrees.
    assert row["gender agreement %"] == 50.0
    assert row["gender agreement, consistent photos %"] == 50.0 and row["consistent photos"] == 2
    assert math.isnan(resemblance.summary(pairs)["gender agreement, consistent photos %"])


def test_a_rerun_listing_fewer_methods_keeps_the_others_resemblance_rows():
    from tf_reconstruct.evaluation.resemblance import with_earlier_rows
    new = [{"faces": "real photos", "gender agreement %": 90.0, "consistent %": 95.0},
           {"faces": "hinge", "gender agreement %": 100.0, "consistent %": 100.0}]
    earlier = [{"faces": "real photos", "gender agreement %": 88.0},           # made again: the new row wins
               {"faces": "q512", "gender agreement %": 70.0},                  # not listed this time: kept
               {"faces": "hinge", "gender agreement %": 60.0, "consistent %": 50.0}]
    assert with_earlier_rows(new, earlier) == new + [{"faces": "q512", "gender agreement %": 70.0, "consistent %": ""}]
    assert with_earlier_rows(new, []) == new
