"""Learning-rate schedules as plain functions of the step."""

import math


def constant(step, total_steps, base_rate):
    del step, total_steps
    return base_rate


def projector_ramp(step, total_steps, base_rate, rampup=0.05, rampdown=0.25):
    """The StyleGAN2 projector's schedule: linear warm-up over the first 5%, cosine ramp-down over the last 25%."""
    t = step / max(total_steps, 1)
    rate = min(1.0, (1.0 - t) / rampdown)
    rate = 0.5 - 0.5 * math.cos(rate * math.pi)
    rate = rate * min(1.0, t / rampup)
    return base_rate * rate
