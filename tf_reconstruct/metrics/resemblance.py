"""Resemblance of a reconstruction to its source photo by soft biometrics, as pure functions.

    gender_agreement(source P(male) [N], other P(male) [N]) -> fraction whose decisions (P > 0.5) agree
    age_differences(source ages [N], other ages [N]) -> |difference| [N]
    consistent_gender_agreement(source [N], second [N], other [N]) -> (fraction, how many counted)
    summary(pairs [(source attributes, other attributes or None)], second_photos=None) -> {count, scored, gender %, age}

A pair whose second face could not be described (no face found) counts as scored-out, not as an agreement.
The judge itself calls two real photos of one person differently about one time in ten, so a face that
disagrees with its source photo may agree with the person; the consistent agreement counts only the people
whose source and second photo the judge calls alike, where the source's call is most likely the person's.
"""

import numpy as np

MALE_ABOVE = 0.5


def gender_agreement(source, other):
    source, other = np.asarray(source, np.float64), np.asarray(other, np.float64)
    if source.shape != other.shape:
        raise ValueError(f"need matching arrays, got {source.shape} and {other.shape}")
    if not source.size:
        return float("nan")
    return float(np.mean((source > MALE_ABOVE) == (other > MALE_ABOVE)))


def consistent_gender_agreement(source, second, other):
    """Agreement of `other` with `source` over the items whose `second` decision matches `source`'s."""
    source, second, other = (np.asarray(values, np.float64) for values in (source, second, other))
    if not source.shape == second.shape == other.shape:
        raise ValueError(f"need matching arrays, got {source.shape}, {second.shape} and {other.shape}")
    alike = (source > MALE_ABOVE) == (second > MALE_ABOVE)
    return gender_agreement(source[alike], other[alike]), int(alike.sum())


def age_differences(source, other):
    return np.abs(np.asarray(source, np.float64) - np.asarray(other, np.float64))


def summary(pairs, second_photos=None):
    """[(source {'gender', 'age'}, other {'gender', 'age'} or None)] -> one table row's numbers; with
    `second_photos` (each pair's second real photo's attributes, or None) also the consistent gender agreement."""
    second_by_pair = [None] * len(pairs) if second_photos is None else list(second_photos)
    if len(second_by_pair) != len(pairs):
        raise ValueError(f"need a second photo (or None) per pair: {len(second_by_pair)} for {len(pairs)} pairs")
    scored = [(source, other) for source, other in pairs if source is not None and other is not None]
    genders = [[source["gender"] for source, _ in scored], [other["gender"] for _, other in scored]]
    ages = age_differences([source["age"] for source, _ in scored], [other["age"] for _, other in scored])
    row = {"identities": len(pairs), "described": len(scored),
           "gender agreement %": 100 * gender_agreement(*genders) if scored else float("nan"),
           "mean age difference (abs, years)": float(np.mean(ages)) if scored else float("nan"),
           "median age difference (abs, years)": float(np.median(ages)) if scored else float("nan")}
    triples = [(source["gender"], second["gender"], other["gender"])
               for (source, other), second in zip(pairs, second_by_pair)
               if source is not None and other is not None and second is not None]
    agreement, counted = consistent_gender_agreement(*zip(*triples)) if triples else (float("nan"), "")
    row["gender agreement, consistent photos %"] = 100 * agreement
    row["consistent photos"] = counted
    return row
