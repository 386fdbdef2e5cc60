"""The engine's settings as one frozen, validated object: what decides how a face is made.

    settings = EngineSettings()                          # the paper's engine as this project runs it (`ours`)
    settings.replace(augment=1.0, augment_views=4)       # a changed copy, validated again
    settings.to_record() -> dict;  EngineSettings.from_record(dict) -> settings   (JSON round trip)
    settings.differences(other) -> {field: (mine, theirs)}

Built once from the flags (flags.engine_settings) or from a recipe (optimize/recipes.py), then passed
whole to the engine, the runner, the shard jobs and the Ray actors, and written whole into every face's
record. The flags take their defaults from here, so a new option is added in one place: a field below
(with its check in `_problems`), then a flag in flags.py.
"""

import dataclasses

from tf_reconstruct.errors import TfReconstructError

SPACES = ("wplus", "w", "z")
INITIALISATIONS = ("mean", "uniform")
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "projector")
LOSSES = ("mse", "mse_normalized", "cosine")
PRECISIONS = ("float32", "bfloat16", "auto")
# Settings that change how fast a face is made (or its last float bits), not which face: a run folder may go
# on under other values (each record says what it was computed with).
COMPUTE_ONLY = ("precision", "batch_size", "compiled", "jit_compile")


class SettingsError(TfReconstructError, ValueError):
    """Engine settings that cannot be honoured; the message names the setting and its allowed values."""


@dataclasses.dataclass(frozen=True)
class EngineSettings:
    """The paper's engine (its section 1) by default; every option beyond it is off at its default.

    steps, patience, learning_rate: the paper's cap 2000, early stop after 50 steps without a new best, SGD 0.1.
    optimizer: 'sgd' (the paper's) or 'adam'; schedule: 'constant' or 'projector' (StyleGAN2's ramp).
    space: 'wplus' (the paper's), 'w' or 'z' (its Fig. 2); init: 'mean' (the paper's) or 'uniform' (its Fig. 3).
    loss: 'mse' on raw features (the paper's eq. 3), 'mse_normalized' or 'cosine'.
    truncation: the paper's restraint lerp(w_avg, w+, weight) in [0, 1] (it gives no value; 0.7 keeps faces
      natural, experiments/engine); 1 is none.
    resolution: side of the loss image (the generator stops early below its size); None is its full size.
    seed: of the initialisation and of the EOT views.
    precision: what the generator and extractor compute in while optimising ('auto': bfloat16 where the
      CPU has it natively).
    batch_size: slots optimised together (a face's float path depends on its batch's shape).
    compiled, jit_compile: the step as a tf.function, and with XLA (the benchmark's modes).
    Beyond the paper (0 / False / 1 are its engine): restarts and face_check (optimize/slot_queue.py),
    augment and augment_views (expectation over transformations, align/augment.py), spread_penalty and
    anchor_penalty (optimize/regularizers.py), and the success stop: a face also stops once the attacker's
    cosine through the fixed warp has been >= success_cosine for success_steps evaluations in a row
    (optimize/stopping.py; 0 is off). coarse_scale, coarse_steps: coarse to fine (optimize/coarse_to_fine.py):
    the loss image at resolution / coarse_scale for a face's first coarse_steps steps at most (and 2 fewer than
    `steps`), then at `resolution` from where it got to (1 is off: one resolution throughout);
    coarse_success_steps: the success stop's hold in the coarse stage (0: success_steps, as the fine stage).
    """
    steps: int = 2000
    patience: int = 50
    learning_rate: float = 0.1
    optimizer: str = "sgd"
    schedule: str = "constant"
    space: str = "wplus"
    init: str = "mean"
    loss: str = "mse"
    truncation: float = 0.7
    resolution: int = 512
    seed: int = 0
    precision: str = "float32"
    batch_size: int = 8
    compiled: bool = True
    jit_compile: bool = False
    restarts: int = 0
    face_check: bool = False
    augment: float = 0.0
    augment_views: int = 1
    spread_penalty: float = 0.0
    anchor_penalty: float = 0.0
    success_cosine: float = 0.0
    success_steps: int = 10
    coarse_scale: int = 1
    coarse_steps: int = 0
    coarse_success_steps: int = 0

    def __post_init__(self):
        problems = _problems(self)
        if problems:
            raise SettingsError("engine settings: " + "; ".join(problems))

    def replace(self, **changes):
        """A copy with `changes` (field names), validated; an unknown name is a SettingsError."""
        unknown = sorted(set(changes) - set(field_names()))
        if unknown:
            raise SettingsError(f"unknown engine setting(s) {', '.join(unknown)}; the settings are "
                                f"{', '.join(field_names())}")
        return dataclasses.replace(self, **changes)

    def to_record(self):
        """Every field as a JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_record(cls, record, batch_size=None):
        """Settings from a record's dict: today's (every field) or an older one, which named fewer fields
        (those added later take the values that reproduce the older engine, their defaults) and kept the
        batch size beside the settings (`batch_size`)."""
        record = dict(record)
        if batch_size is not None and "batch_size" not in record:
            record["batch_size"] = int(batch_size)
        return cls().replace(**record)

    def differences(self, other, ignore=()):
        """{field: (self's value, other's value)} where the two differ, leaving out `ignore`."""
        return {name: (getattr(self, name), getattr(other, name)) for name in field_names()
                if name not in ignore and getattr(self, name) != getattr(other, name)}


def field_names():
    return tuple(field.name for field in dataclasses.fields(EngineSettings))


def _problems(settings):
    """Every setting that cannot be honoured, as a list of messages (empty when the settings are sound)."""
    s = settings
    problems = []
    for name, allowed in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES), ("space", SPACES),
                          ("init", INITIALISATIONS), ("loss", LOSSES), ("precision", PRECISIONS)):
        if getattr(s, name) not in allowed:
            problems.append(f"{name} must be one of {', '.join(allowed)}, not {getattr(s, name)!r}")
    for name, least in (("steps", 2), ("patience", 1), ("batch_size", 1), ("augment_views", 1), ("restarts", 0),
                        ("success_steps", 1), ("coarse_scale", 1), ("coarse_steps", 0),
                        ("coarse_success_steps", 0)):
        value = getattr(s, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            problems.append(f"{name} must be a whole number >= {least}, not {value!r}")
    for name in ("augment", "spread_penalty", "anchor_penalty", "learning_rate"):
        if not isinstance(getattr(s, name), (int, float)) or getattr(s, name) < 0:
            problems.append(f"{name} must be a number >= 0, not {getattr(s, name)!r}")
    if not isinstance(s.truncation, (int, float)) or not 0.0 <= s.truncation <= 1.0:
        problems.append(f"truncation (the lerp weight) must be in [0, 1], not {s.truncation!r}")
    if not isinstance(s.success_cosine, (int, float)) or not 0.0 <= s.success_cosine < 1.0:
        problems.append(f"success_cosine (the attacker's cosine that stops a face; 0 is off) must be in [0, 1), "
                        f"not {s.success_cosine!r}")
    if s.resolution is not None and (not isinstance(s.resolution, int) or not 16 <= s.resolution <= 1024):
        problems.append(f"resolution must be a side in 16..1024 (or None: the generator's), not {s.resolution!r}")
    if s.coarse_scale > 1 and not problems:
        side = s.resolution or 1024
        if s.coarse_scale & (s.coarse_scale - 1) or side // s.coarse_scale < 16:
            problems.append(f"coarse_scale must be a power of two leaving a coarse side of 16 px or more (the "
                            f"resolution {side} / {s.coarse_scale}), or 1 for off")
        if s.coarse_steps < 2 or s.steps < 4:
            problems.append(f"coarse to fine needs coarse_steps >= 2 (the coarse stage's cap; it leaves the fine "
                            f"stage 2 steps at least) and steps >= 4, not {s.coarse_steps!r} and {s.steps!r}")
    if s.restarts and s.optimizer != "sgd":
        problems.append("restarts need optimizer 'sgd' (a restarted sample needs its own step size)")
    if s.face_check and not s.restarts:
        problems.append("face_check needs restarts (a face that fails the check is started again)")
    return problems
