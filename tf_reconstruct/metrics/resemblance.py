"""Resemblance of a reconstruction to its source photo by soft biometrics, as pure functions.

    gender_agreement(source P(male) [N], other P(male) [N]) -> fraction whose decisions (P > 0.5) agree
    age_differences(source ages [N], other ages [N]) -> |difference| [N]
    summary(pairs [(source attributes, other attributes or None)]) -> {count, scored, gender %, age}

A pair whose second face could not be described (no face found) counts as scored-out, not as an agreement.
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


def age_differences(source, other):
    return np.abs(np.asarray(source, np.float64) - np.asarray(other, np.float64))


def summary(pairs):
    """[(source {'gender', 'age'}, other {'gender', 'age'} or None)] -> one table row's numbers."""
    scored = [(source, other) for source, other in pairs if source is not None and other is not None]
    genders = [[source["gender"] for source, _ in scored], [other["gender"] for _, other in scored]]
    ages = age_differences([source["age"] for source, _ in scored], [other["age"] for _, other in scored])
    return {"identities": len(pairs), "described": len(scored),
            "gender agreement %": 100 * gender_agreement(*genders) if scored else float("nan"),
            "mean age difference (abs, years)": float(np.mean(ages)) if scored else float("nan"),
            "median age difference (abs, years)": float(np.median(ages)) if scored else float("nan")}
