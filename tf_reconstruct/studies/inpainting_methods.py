"""The inpainting study's methods: their names, what each name means, and their order in its tables.

    inversion_spec(method, default_steps) -> Inversion(start, steps, blend) for an inversion, else None
    fits_name(start, steps, default_steps) -> the name of the generated faces' cache and of its unblended method
    chosen_methods(requested, networks, mapping_trained) -> the methods to run, in table order
    table_order(methods) -> `methods` in table order

An inversion's name is `inversion` (from the latent bank) or `inversion_mapping` (from the trained Mapping),
then `_<N>steps` for a budget other than --inpaint_invert_steps, then `_feather` or `_poisson` for a blend:
`inversion_mapping_200steps_poisson` is the Mapping start fitted for 200 steps and Poisson-blended.
"""

import re
from typing import NamedTuple

from tf_reconstruct.errors import InputError
from tf_reconstruct.inpainting import classical, compositing, trainer

STARTS = {"inversion": "bank", "inversion_mapping": "mapping"}   # method: where its w+ starts
BLENDS = tuple(blend for blend in compositing.BLENDS if blend != "paste")
INVERSIONS = tuple(STARTS)
# The same fits composited without seams (issue 36).
BLENDED = tuple(f"{base}_{blend}" for base in STARTS for blend in BLENDS)
# method: (the patent variant, its style weight's name); Liu et al.'s weight is the unsuffixed method.
NETWORKS = {f"patent_{variant}" + ("" if style == "liu2018" else f"_{style}"): (variant, style)
            for style in trainer.STYLE_WEIGHTS for variant in trainer.VARIANTS}
METHODS = (*classical.METHODS, *INVERSIONS, *BLENDED, *NETWORKS)   # the methods at the default budget, in table order
_INVERSION = re.compile(rf"^({'|'.join(sorted(STARTS, key=len, reverse=True))})(?:_(\d+)steps)?"
                        rf"(?:_({'|'.join(BLENDS)}))?$")


class Inversion(NamedTuple):
    start: str     # bank or mapping
    steps: int     # Adam steps
    blend: str     # paste, feather or poisson


def inversion_spec(method, default_steps):
    """Inversion(start, steps, blend) that `method` names (its steps `default_steps` when unsuffixed), or None
    for a method that is not an inversion."""
    found = _INVERSION.match(method)
    if not found or (found.group(2) is not None and int(found.group(2)) < 1):
        return None
    steps = int(found.group(2)) if found.group(2) else default_steps
    return Inversion(STARTS[found.group(1)], steps, found.group(3) or "paste")


def fits_name(start, steps, default_steps):
    """The unblended method of an inversion from `start` for `steps`, which also names its fits' cache."""
    base = next(method for method, where in STARTS.items() if where == start)
    return base if steps == default_steps else f"{base}_{steps}steps"


def chosen_methods(requested, networks, mapping_trained):
    """The methods to run, in table order: those `requested` (METHODS, or an inversion with a step suffix), or
    by default every method of METHODS that can run: the classical fills, the inversion from the latent bank,
    from the Mapping when one is trained, and each patent network ({method: folder}) whose weights are there."""
    if requested:
        unknown = [method for method in requested if method not in METHODS and not inversion_spec(method, 1)]
        if unknown:
            raise InputError(f"--inpaint_methods: unknown {', '.join(unknown)}; choose from {', '.join(METHODS)}, "
                             f"or an inversion with its steps, such as inversion_200steps_poisson")
        return table_order(requested)
    runnable = {method: mapping_trained for method in METHODS if method.startswith("inversion_mapping")}
    runnable.update({method: method in networks and (networks[method] / "generator.weights.h5").is_file()
                     for method in NETWORKS})
    return [method for method in METHODS if runnable.get(method, True)]


def table_order(methods):
    """`methods` without repeats, in table order (that of METHODS): an inversion with a step suffix right after
    the same inversion at the default budget, budgets increasing; unknown names last, as given."""
    return sorted(dict.fromkeys(methods), key=_rank)


def _rank(method):
    if method in METHODS:
        return METHODS.index(method), 0
    spec = inversion_spec(method, 0)
    if spec is None:
        return len(METHODS), 0
    return METHODS.index(method.replace(f"_{spec.steps}steps", "")), spec.steps
