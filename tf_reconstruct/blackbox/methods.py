"""The black-box methods, as {name: BlackBoxMethod(start, refine, label)}: where a face starts, and how the
oracle's answers then refine it.

Starts: 'mean' (the generator's average face), 'bank' (the latent bank scored once by the oracle: the
similarity-weighted w of the target's nearest bank faces in the oracle's own space, oracle_bank.py), or
'adapter' (the template translated into the surrogate's space, adapter.py, then inverted by the white-box
engine through the surrogate: `ours_fast`, the fastest measured engine, experiments/speed). The adapter learns
from the bank's generated faces ('bank') or from them and real LFW photos of people no study draws
('bank_lfw', real_pairs.py): the `_lfw` methods.
Refinements: None, 'cma' (CMA-ES in a subspace of w+, cma_refine.py) or 'blobs' (the query-only anchor in
pixels, blob_search.py, which ignores the generator). A `_joint` search adds to the oracle's similarity the
surrogate's cosine to the translated template (times --bb_surrogate_weight): the oracle's answers refine the
face without leaving the person the surrogate sees. A `_2k` method fixes its own budget (2,000 queries per face; `_500`, 500)
in place of --queries, so that one run folder can hold one route at two budgets, and the anchor at the
same budget as the route it anchors. A `_q512` method shows the oracle the generator's 512-px face in place of
its 256-px one: MobileStyleGAN's 256-px output is an intermediate head, not the full face scaled down, and a
search fitted to it loses part of its match in the face the judges see (dlib's distance to the template 0.356
at 256 px, 0.411 at 512 and 0.416 at 1,024, for the first 12 faces of the 149's route). At 512 px the start
is already the surrogate's best face (the white-box stage ends at 512 px), so every step the joint search
tries costs it surrogate cosine and it mostly stands still; a `_hinge` method counts the surrogate's cosine
only where it falls more than `surrogate_margin` below the start's, so that the oracle alone steers the face
while the surrogate still sees the same person. A `_fine512` method searches in the 256-px view, which moves,
and shows the oracle the 512-px face for its last `fine_queries` (or from the moment the coarse view stalls):
the same CMA-ES goes on from where the coarse view left it, and keeps the face the oracle likes best at 512 px.
A `_rescaled` method's stage matches the translation set to the surrogate's mean template length (the adapter
learnt directions only, and the engine's loss is the MSE of raw templates); a `_student` method's stage aims
also at the oracle's template itself, through the student, a map from the surrogate's templates to the oracle's
(student.py), since the adapter's backward map is the lossy one.
"""

import dataclasses

from tf_reconstruct.errors import InputError

SURROGATE_RECIPE = "ours_fast"
STARTS = ("mean", "bank", "adapter")
REFINEMENTS = (None, "cma", "blobs")
ADAPTER_DATA = ("bank", "bank_lfw")


@dataclasses.dataclass(frozen=True)
class BlackBoxMethod:
    start: str
    refine: str
    label: str
    basis: str = "pca"        # the CMA-ES subspace: 'pca' of the bank's w, or 'neighbours' (their span)
    adapter_data: str = "bank"   # what the adapter learnt from: ADAPTER_DATA
    joint: bool = False          # CMA-ES's fitness also counts the surrogate's cosine to the translated template
    queries: int = None          # its own budget of oracle calls per face (None: --queries)
    query_resolution: int = 256  # px of the generator render the oracle's crop is cut from (queries.py)
    surrogate_margin: float = None   # joint only: None counts the surrogate's cosine itself; a margin m counts
    #                                  only its fall below (the start's cosine - m), as a penalty
    fine_resolution: int = None  # cma only: the search's last `fine_queries` queries see this render instead
    fine_queries: int = 0
    rescale: bool = False        # adapter only: the translation set to the surrogate's mean template norm first
    student_weight: float = None  # adapter only: the white-box stage also matches the student's prediction of the
    #                               oracle's template to the template itself, at this weight (always rescaled)

    @property
    def queries_oracle(self):
        return self.refine is not None

    @property
    def uses_surrogate(self):
        return self.start == "adapter"

    @property
    def uses_generator(self):
        return self.refine != "blobs"


BB_METHODS = {
    "bb_bank": BlackBoxMethod("bank", None, "bank kNN in the oracle's space (no queries per face)"),
    "bb_adapter": BlackBoxMethod("adapter", None, "adapter to the surrogate, then the white-box engine (no queries)"),
    "bb_bank_cma": BlackBoxMethod("bank", "cma", "bank kNN start, CMA-ES against the oracle"),
    "bb_bank_cma_nb": BlackBoxMethod("bank", "cma", "bank kNN start, CMA-ES in the neighbours' span", "neighbours"),
    "bb_adapter_cma": BlackBoxMethod("adapter", "cma", "adapter + white-box engine, then CMA-ES against the oracle"),
    "bb_adapter_lfw": BlackBoxMethod("adapter", None, "adapter learnt also from real photos, then the white-box "
                                     "engine (no queries)", adapter_data="bank_lfw"),
    "bb_adapter_lfw_cma": BlackBoxMethod("adapter", "cma", "adapter learnt also from real photos + white-box engine, "
                                         "then CMA-ES against the oracle", adapter_data="bank_lfw"),
    "bb_adapter_cma_joint": BlackBoxMethod("adapter", "cma", "adapter + white-box engine, then CMA-ES against the "
                                           "oracle and the surrogate together", joint=True),
    "bb_adapter_lfw_cma_joint": BlackBoxMethod("adapter", "cma", "adapter learnt also from real photos + white-box "
                                               "engine, then CMA-ES against the oracle and the surrogate together",
                                               adapter_data="bank_lfw", joint=True),
    "bb_adapter_lfw_cma_joint_2k": BlackBoxMethod("adapter", "cma", "the same joint search with 2,000 queries per "
                                                  "face", adapter_data="bank_lfw", joint=True, queries=2000),
    "bb_adapter_lfw_cma_joint_2k_q512": BlackBoxMethod(
        "adapter", "cma", "the same joint search at 2,000 queries, each shown the 512-px face",
        adapter_data="bank_lfw", joint=True, queries=2000, query_resolution=512),
    "bb_adapter_lfw_cma_joint_2k_q512_hinge": BlackBoxMethod(
        "adapter", "cma", "the 512-px joint search, the surrogate's cosine a penalty only 0.05 below the start's",
        adapter_data="bank_lfw", joint=True, queries=2000, query_resolution=512, surrogate_margin=0.05),
    "bb_adapter_lfw_cma_joint_2k_fine512": BlackBoxMethod(
        "adapter", "cma", "the joint search at 2,000 queries, its last 500 shown the 512-px face",
        adapter_data="bank_lfw", joint=True, queries=2000, fine_resolution=512, fine_queries=500),
    "bb_adapter_lfw_rescaled": BlackBoxMethod(
        "adapter", None, "adapter learnt also from real photos, its translation at the surrogate's template norm, "
        "then the white-box engine (no queries)", adapter_data="bank_lfw", rescale=True),
    "bb_adapter_lfw_student": BlackBoxMethod(
        "adapter", None, "the rescaled translation, the white-box engine matching it and the student's prediction of "
        "the oracle's template (no queries)", adapter_data="bank_lfw", rescale=True, student_weight=1.0),
    "bb_adapter_lfw_student_cma_joint_2k": BlackBoxMethod(
        "adapter", "cma", "the student's white-box stage, then the joint search at 2,000 queries",
        adapter_data="bank_lfw", joint=True, queries=2000, rescale=True, student_weight=1.0),
    "bb_adapter_lfw_student_cma_joint_500": BlackBoxMethod(
        "adapter", "cma", "the student's white-box stage, then the joint search at 500 queries",
        adapter_data="bank_lfw", joint=True, queries=500, rescale=True, student_weight=1.0),
    "bb_mean_cma": BlackBoxMethod("mean", "cma", "mean face, CMA-ES against the oracle"),
    "bb_blobs": BlackBoxMethod("mean", "blobs", "Gaussian blobs in pixels (after Razzhigaev et al. 2020)"),
    "bb_blobs_2k": BlackBoxMethod("mean", "blobs", "the same blob search with 2,000 queries per face", queries=2000),
}


def is_blackbox(name):
    return name in BB_METHODS


def check_method(name):
    if name not in BB_METHODS:
        raise InputError(f"unknown black-box method {name!r}; choose one of {', '.join(BB_METHODS)}")
    return BB_METHODS[name]
