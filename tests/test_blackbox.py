"""The black-box attack's parts on hand-made fixtures: the oracle's count and budget, the subspace maths, the
searches within budget and without gradients through the oracle, and the adapter's training."""

import os

import numpy as np
import pytest
import tensorflow as tf

from tf_reconstruct.blackbox import adapter, real_pairs, student, subspace
from tf_reconstruct.blackbox.blob_search import BlobSettings, blob_search, gaussian_blobs
from tf_reconstruct.blackbox.cma_refine import CmaSettings, FineView, cma_refine, joint_term
from tf_reconstruct.blackbox.methods import BB_METHODS
from tf_reconstruct.blackbox.oracle import Oracle, OracleBudgetExhausted, load_oracle
from tf_reconstruct.errors import InputError, MissingCheckpointError
from tf_reconstruct.metrics.verification import normalise as unit
from tf_reconstruct.models.registry import Extractor


def _mean_colour_oracle(budget=None, model=None):
    """A system whose template is a face's mean colour per quarter (12-d), compared by cosine."""
    def embed(faces):
        if model is not None:
            return model(tf.constant(faces, tf.float32)).numpy()
        quarters = faces.reshape(len(faces), 2, 56, 2, 56, 3).astype(np.float32)
        return quarters.mean(axis=(2, 4)).reshape(len(faces), 12) - 127.5
    return Oracle(embed, "colours", 12, "cosine", budget)


def _faces(count, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (count, 112, 112, 3), dtype=np.uint8)


def test_the_oracle_counts_every_face_and_refuses_past_its_budget():
    oracle = _mean_colour_oracle(budget=5)
    assert oracle(_faces(3)).shape == (3, 12) and oracle.calls == 3 and oracle.remaining == 2
    with pytest.raises(OracleBudgetExhausted, match="budget of 5"):
        oracle(_faces(3))
    assert oracle.calls == 3          # the refused call is not counted, and not made
    assert oracle.with_budget(10).calls == 0


def test_the_oracle_takes_only_aligned_uint8_pixels():
    oracle = _mean_colour_oracle()
    with pytest.raises(ValueError, match="uint8"):
        oracle(_faces(1).astype(np.float32))
    with pytest.raises(ValueError, match=r"\[B, 112, 112, 3\]"):
        oracle(np.zeros((1, 64, 64, 3), np.uint8))


def test_oracle_similarities_are_the_systems_own():
    oracle = Oracle(lambda faces: np.zeros((len(faces), 2)), "d", 2, "negative_euclidean")
    assert np.allclose(oracle.similarities([[3.0, 4.0], [0.0, 0.0]], [0.0, 0.0]), [-5.0, 0.0])


def test_a_user_oracle_spec_is_checked():
    with pytest.raises(InputError, match="python:<module>:<function>"):
        load_oracle("vendor_sdk")
    with pytest.raises(InputError, match="--oracle_dim"):
        load_oracle("python:numpy:zeros")
    with pytest.raises(InputError, match="cannot import"):
        load_oracle("python:no_such_module_here:embed", embedding_dim=4)
    assert load_oracle("python:numpy:zeros", embedding_dim=4).name == "numpy.zeros"


def test_an_oracle_split_over_processes_answers_as_one_and_counts_every_face():
    faces = np.random.default_rng(0).integers(0, 256, (5, 112, 112, 3), dtype=np.uint8)
    alone = load_oracle("python:toy_oracle:embed", embedding_dim=4)
    pooled = load_oracle("python:toy_oracle:embed", embedding_dim=4, workers=2)
    one, two = alone(faces), pooled(faces)
    assert np.allclose(one[:, :3], two[:, :3]) and pooled.calls == 5
    assert os.getpid() not in two[:, 3]   # answered in the pool's processes, not in the attack's
    assert pooled(faces[:1]).shape == (1, 4) and pooled.calls == 6


def test_pca_basis_finds_the_spread_direction():
    rng = np.random.default_rng(0)
    latents = np.outer(rng.standard_normal(400) * 3.0, np.eye(512)[7]) + 0.01 * rng.standard_normal((400, 512))
    directions, scales = subspace.pca_basis(latents, 2)
    assert abs(directions[0, 7]) > 0.999 and scales[0] == pytest.approx(3.0, rel=0.15)
    assert np.allclose(directions @ directions.T, np.eye(2), atol=1e-5)


def test_neighbour_basis_spans_the_offsets_and_drops_empty_directions():
    centre = np.zeros(512)
    neighbours = np.stack([np.eye(512)[0] * 2, np.eye(512)[1], np.eye(512)[0] * -2])
    directions, scales = subspace.neighbour_basis(neighbours, centre, 5)
    assert len(directions) == 2 and np.allclose(np.abs(directions[:, :2]).sum(axis=1), 1.0, atol=1e-6)


def test_row_groups_and_to_w_plus_by_hand():
    assert subspace.row_groups(5, 2).tolist() == [0, 0, 0, 1, 1]
    assert subspace.row_groups(4, 1).tolist() == [0, 0, 0, 0]
    start = np.zeros((4, 512), np.float32)
    directions = np.eye(512, dtype=np.float32)[:1]
    w_plus = subspace.to_w_plus(start, [[1.0, -2.0]], directions, np.array([0.5], np.float32), groups=2)
    assert w_plus.shape == (1, 4, 512)
    assert w_plus[0, :2, 0].tolist() == [0.5, 0.5] and w_plus[0, 2:, 0].tolist() == [-1.0, -1.0]
    assert np.count_nonzero(w_plus) == 4
    with pytest.raises(ValueError, match="2 groups of 1"):
        subspace.to_w_plus(start, [[1.0]], directions, np.ones(1), groups=2)


def test_rows_the_oracle_cannot_see_stay_at_the_start():
    start = np.zeros((4, 512), np.float32)
    directions = np.eye(512, dtype=np.float32)[:1]
    moving = np.array([True, False, True, False])
    w_plus = subspace.to_w_plus(start, [[1.0, -2.0]], directions, np.array([0.5], np.float32), groups=2,
                                moving=moving)
    assert w_plus[0, :, 0].tolist() == [0.5, 0.0, -1.0, 0.0]


def test_rows_seen_finds_the_rows_a_render_reads():
    from tf_reconstruct.blackbox.queries import rows_seen

    def render(w_plus):          # reads rows 0 and 2 only, as a low-resolution render skips the fine rows
        return np.round(np.abs(w_plus[:, [0, 2], :8]) * 100).astype(np.uint8)
    assert rows_seen(render, np.zeros((5, 512), np.float32)).tolist() == [True, False, True, False, False]


class _LinearRenderer:
    """w+ -> a face whose quarter colours follow the first latent numbers (a generator stand-in for the maths)."""

    def __call__(self, w_plus):
        w = np.asarray(w_plus)[:, 0, :12].reshape(-1, 2, 1, 2, 1, 3)
        faces = np.broadcast_to(127.5 + 60.0 * np.tanh(w), (len(w), 2, 56, 2, 56, 3)).reshape(-1, 112, 112, 3)
        return np.clip(np.rint(faces), 0, 255).astype(np.uint8)


def _colour_search_case():
    """(oracle, a target template, directions, scales): the colour oracle's template of a face whose first 12
    latent numbers are random, and the 12 axes that reach it from the zero latent."""
    oracle = _mean_colour_oracle()
    target_latent = np.zeros((3, 512), np.float32)
    target_latent[:, :12] = np.random.default_rng(1).uniform(-1, 1, 12)
    target = oracle(_LinearRenderer()(target_latent[None]))[0]
    return oracle, target, np.eye(512, dtype=np.float32)[:12], np.ones(12, np.float32)


def test_cma_refine_approaches_the_target_within_its_budget():
    oracle, target, directions, scales = _colour_search_case()
    oracle = oracle.with_budget(400)
    result = cma_refine(_LinearRenderer(), oracle, target, np.zeros((3, 512), np.float32), directions, scales,
                        CmaSettings(groups=1, popsize=8, sigma=0.5, patience=50))
    assert oracle.calls <= 400 and result.calls == oracle.calls
    assert result.similarity > result.start_similarity + 0.2 and result.similarity > 0.95
    assert result.w_plus.shape == (3, 512)


def test_a_joint_search_trades_the_oracle_for_its_prior():
    oracle, target, directions, scales = _colour_search_case()
    settings = CmaSettings(groups=1, popsize=8, sigma=0.5, patience=50)

    def grey(faces):   # a white-box term that wants every quarter of the face mid-grey
        return -3.0 * np.abs(faces.reshape(len(faces), -1).astype(np.float64) / 127.5 - 1.0).mean(axis=1)
    alone = cma_refine(_LinearRenderer(), oracle.with_budget(300), target, np.zeros((3, 512), np.float32),
                       directions, scales, settings)
    joint = cma_refine(_LinearRenderer(), oracle.with_budget(300), target, np.zeros((3, 512), np.float32),
                       directions, scales, settings, prior=grey)
    assert alone.prior is None and joint.prior is not None
    faces = _LinearRenderer()(np.stack([alone.w_plus, joint.w_plus]))
    assert grey(faces)[1] == pytest.approx(joint.prior) and grey(faces)[1] > grey(faces)[0] + 0.1
    assert joint.similarity < alone.similarity    # the oracle's side gave way to the prior
    assert joint.similarity + joint.prior >= joint.start_similarity + grey(_LinearRenderer()(np.zeros((1, 3, 512))))[0]


def test_the_joint_term_is_the_weighted_cosine_or_a_penalty_below_its_floor():
    assert joint_term([0.9, 0.5], 2.0) == pytest.approx([1.8, 1.0])
    # floor 0.8: 0.9 and 0.8 cost nothing, 0.7 costs 2 * 0.1, 0.5 costs 2 * 0.3
    assert joint_term([0.9, 0.8, 0.7, 0.5], 2.0, floor=0.8) == pytest.approx([0.0, 0.0, -0.2, -0.6])


def test_a_hinged_joint_search_lets_the_oracle_alone_steer_above_the_floor():
    oracle, target, directions, scales = _colour_search_case()
    settings = CmaSettings(groups=1, popsize=8, sigma=0.5, patience=50)
    start = np.zeros((3, 512), np.float32)

    def closeness(faces):   # a surrogate cosine stand-in: 1 at the mid-grey start, falling as the face moves
        return 1.0 - np.abs(faces.reshape(len(faces), -1).astype(np.float64) / 127.5 - 1.0).mean(axis=1)
    linear = cma_refine(_LinearRenderer(), oracle.with_budget(300), target, start, directions, scales, settings,
                        prior=lambda faces: joint_term(closeness(faces), 10.0))
    hinged = cma_refine(_LinearRenderer(), oracle.with_budget(300), target, start, directions, scales, settings,
                        prior=lambda faces: joint_term(closeness(faces), 10.0, floor=1.0 - 0.3))
    # The start is the linear term's best face, which pins the search; the hinge frees a band of 0.3 for the oracle.
    assert hinged.similarity > linear.similarity + 0.05
    assert closeness(_LinearRenderer()(hinged.w_plus[None]))[0] >= 1.0 - 0.3 - 0.02


class _ShiftedRenderer(_LinearRenderer):
    """Another view of the same latents: the linear face of the latent moved by 0.5, as the 512-px face is another
    render of the w+ whose 256-px head the coarse view shows."""

    def __call__(self, w_plus):
        return super().__call__(np.asarray(w_plus) + 0.5)


def test_a_fine_view_takes_the_last_queries_and_keeps_the_face_best_in_it():
    oracle, coarse_target, directions, scales = _colour_search_case()
    target_latent = np.zeros((1, 3, 512), np.float32)
    target_latent[0, :, :12] = np.random.default_rng(1).uniform(-1, 1, 12)
    target = oracle(_ShiftedRenderer()(target_latent))[0]      # the template of the face the fine view shows
    settings = CmaSettings(groups=1, popsize=8, sigma=0.5, patience=50)
    start = np.zeros((3, 512), np.float32)
    coarse = cma_refine(_LinearRenderer(), oracle.with_budget(400), target, start, directions, scales, settings)
    budget = oracle.with_budget(400)
    fine = cma_refine(_LinearRenderer(), budget, target, start, directions, scales, settings,
                      fine=FineView(_ShiftedRenderer(), 200))
    assert coarse.switch is None and budget.calls <= 400 and fine.calls == budget.calls
    # It moved when 200 queries were left (one generation of 8 may end past that line), and paid one to score
    # its best face again there.
    assert 400 - 200 <= fine.switch["after_calls"] < 400 - 200 + 8
    in_fine = oracle.similarities(oracle(_ShiftedRenderer()(np.stack([coarse.w_plus, fine.w_plus]))), target)
    assert fine.similarity == pytest.approx(in_fine[1], abs=1e-6)     # its score is the fine view's
    assert fine.similarity > fine.switch["similarity_after"] + 0.03   # and the fine view's queries raised it
    assert in_fine[1] > in_fine[0] + 0.02                               # past the coarse search's face, seen there


def test_blob_search_stays_within_budget_and_never_ends_worse():
    oracle = _mean_colour_oracle(budget=120)
    target = np.array([1.0, -1.0, 0.5] * 4, np.float32)
    result = blob_search(oracle, target, np.full((112, 112, 3), 128, np.uint8),
                         BlobSettings(candidates=8, top=2, amplitude=60.0, sigma_range=(10.0, 30.0)))
    assert oracle.calls <= 120 and result.calls == oracle.calls and result.face.dtype == np.uint8
    assert result.similarity >= result.start_similarity and result.similarity > result.start_similarity + 0.1


def test_gaussian_blobs_peak_at_their_amplitude():
    blobs = gaussian_blobs(np.random.default_rng(0), 5, 64, (2.0, 4.0), 30.0)
    assert blobs.shape == (5, 64, 64, 3) and np.abs(blobs).max() <= 30.0 + 1e-4


def test_no_gradient_reaches_the_oracle_from_the_searches():
    # The oracle's system here is a Keras model: were its outputs tensors followed by a tape, the tape would
    # watch its variables. The searches must reach it only through pixels and numpy.
    model = tf.keras.Sequential([tf.keras.layers.Flatten(), tf.keras.layers.Dense(12)])
    model.build((None, 112, 112, 3))
    oracle = _mean_colour_oracle(budget=80, model=model)
    target = oracle(_faces(1))[0]
    with tf.GradientTape(persistent=True) as tape:
        cma_refine(_LinearRenderer(), oracle.with_budget(40), target, np.zeros((3, 512), np.float32),
                   np.eye(512, dtype=np.float32)[:4], np.ones(4, np.float32), CmaSettings(groups=1, popsize=4))
        blob_search(oracle.with_budget(40), target, _faces(1)[0], BlobSettings(candidates=4))
    watched = {variable.ref() for variable in tape.watched_variables()}
    assert not watched & {variable.ref() for variable in model.trainable_variables}


def test_the_gradient_guard_itself_catches_a_leaking_oracle():
    # The same check on an oracle that hands back the model's tensors: its variables are watched.
    model = tf.keras.Sequential([tf.keras.layers.Flatten(), tf.keras.layers.Dense(3)])
    model.build((None, 112, 112, 3))
    with tf.GradientTape() as tape:
        model(tf.constant(_faces(1), tf.float32))
    assert {v.ref() for v in tape.watched_variables()} & {v.ref() for v in model.trainable_variables}


def test_adapter_training_lowers_the_held_out_error():
    rng = np.random.default_rng(0)
    source = rng.standard_normal((600, 16)).astype(np.float32)
    mixing = rng.standard_normal((16, 24)).astype(np.float32)
    # The adapter reads unit templates (a system's template norms vary): the target depends on the direction.
    target = np.tanh(2.0 * (source / np.linalg.norm(source, axis=1, keepdims=True)) @ mixing)
    model, log = adapter.train_adapter(source, target, epochs=12, batch_size=64, hidden=64, progress=False,
                                       validation_fraction=0.2)
    assert log["validation_cosine"] > log["untrained_validation_cosine"] + 0.3
    assert log["validation_cosine"] > 0.8
    training, validation = adapter.split(600, 0.2)
    assert adapter.mean_cosine(model, source[validation], target[validation]) == pytest.approx(
        log["validation_cosine"], abs=1e-3)
    assert not set(training) & set(validation) and len(validation) == 120


def test_real_pairs_teach_the_adapter_the_photos_it_will_meet():
    rng = np.random.default_rng(1)
    mixing = rng.standard_normal((16, 24)).astype(np.float32)
    # The bank's faces and real photos map to the surrogate differently: real templates are rotated first.
    rotation = np.linalg.qr(rng.standard_normal((16, 16)))[0].astype(np.float32)

    def surrogate_of(source, real):
        unit = source / np.linalg.norm(source, axis=1, keepdims=True)
        return np.tanh(2.0 * ((unit @ rotation) if real else unit) @ mixing)
    bank = rng.standard_normal((600, 16)).astype(np.float32)
    photos = rng.standard_normal((300, 16)).astype(np.float32)
    settings = dict(epochs=15, batch_size=64, hidden=64, progress=False, validation_fraction=0.2)
    bank_model, bank_only = adapter.train_adapter(bank, surrogate_of(bank, False), **settings)
    model, both = adapter.train_adapter(bank, surrogate_of(bank, False), real=(photos, surrogate_of(photos, True)),
                                        real_repeat=2, **settings)
    assert both["chosen_by"] == "real_validation" and both["real_pairs"] == 300
    _, held = adapter.real_split(300, 0.2)
    real_cosine = adapter.mean_cosine(model, photos[held], surrogate_of(photos[held], True))
    assert real_cosine == pytest.approx(both["real_validation_cosine"], abs=1e-3)
    assert real_cosine > both["untrained_real_validation_cosine"] + 0.3
    # The bank-only adapter, scored on the same held-out photos, translates them worse.
    assert real_cosine > adapter.mean_cosine(bank_model, photos[held], surrogate_of(photos[held], True)) + 0.2
    assert "real_validation_cosine" not in bank_only


def test_adapter_people_are_those_no_study_draws():
    people = {"a": ["a_1"], "b": ["b_1", "b_2"], "c": ["c_1"], "d": ["d_1"], "e": ["e_1", "e_2", "e_3"]}
    assert real_pairs.adapter_identities(people) == ["a", "c", "d"]
    drawn = real_pairs.adapter_identities(people, limit=2, seed=0)
    assert len(drawn) == 2 and set(drawn) <= {"a", "c", "d"} and drawn == sorted(drawn)
    assert drawn == real_pairs.adapter_identities(people, limit=2, seed=0)


def test_real_pairs_are_cached_and_cost_their_oracle_calls_once(tmp_path):
    faces = {f"p_{index}": np.full((112, 112, 3), index, np.uint8) for index in range(5)}
    system = Oracle(lambda crops: crops.reshape(len(crops), -1)[:, :4].astype(np.float32), "sdk", 4, "cosine")
    surrogate = lambda crops: crops.reshape(len(crops), -1)[:, :2].astype(np.float32) * 2.0   # noqa: E731
    cache = tmp_path / "pairs_sdk.npz"
    first = real_pairs.embed_pairs(dict(list(faces.items())[:3]), system, surrogate, cache, batch_size=2,
                                   progress=False)
    assert first.calls == 3 and system.calls == 3 and first.ids == ["p_0", "p_1", "p_2"]
    again = real_pairs.embed_pairs(faces, system, surrogate, cache, batch_size=2, progress=False)
    assert system.calls == 5 and again.calls == 5   # only the 2 new photos were sent
    assert again.ids == sorted(faces) and again.oracle[4].tolist() == [4.0] * 4 and again.surrogate[2].tolist() == [4.0] * 2


def test_an_adapter_names_its_data_and_the_command_that_makes_it(tmp_path):
    model, log = adapter.train_adapter(np.eye(8, dtype=np.float32).repeat(4, 0), np.ones((32, 4), np.float32),
                                       epochs=1, hidden=8, progress=False)
    adapter.save_adapter(model, log, tmp_path, "sdk", "mfn", "bank_lfw")
    assert (tmp_path / "adapter_sdk_to_mfn_bank_lfw.weights.h5").is_file()
    assert adapter.load_adapter(tmp_path, "sdk", "mfn", "bank_lfw")[1]["data"] == "bank_lfw"
    with pytest.raises(Exception, match="--adapter_data=bank`"):
        adapter.load_adapter(tmp_path, "sdk", "mfn")
    assert BB_METHODS["bb_adapter_lfw_cma"].adapter_data == "bank_lfw"
    assert BB_METHODS["bb_adapter_cma"].adapter_data == "bank"


def test_a_method_with_its_own_budget_overrides_the_queries_flag():
    from tf_reconstruct.blackbox.attack import BlackBoxConfig
    own = BlackBoxConfig(method="bb_adapter_lfw_cma_joint_2k", queries=500)
    assert own.budget == 2000
    assert own.record()["queries_budget"] == 2000 and own.record()["search"]["queries"] == 2000
    assert own.record()["search"]["surrogate_weight"] == 1.0       # a joint search records its weight
    assert BlackBoxConfig(method="bb_blobs_2k", queries=500).record()["search"]["queries"] == 2000
    flagged = BlackBoxConfig(method="bb_adapter_lfw_cma", queries=500)
    assert flagged.budget == 500 and "surrogate_weight" not in flagged.record()["search"]


def test_adapter_round_trips_and_names_its_training_command(tmp_path):
    model, log = adapter.train_adapter(np.eye(8, dtype=np.float32).repeat(4, 0), np.ones((32, 4), np.float32),
                                       epochs=1, hidden=8, progress=False)
    adapter.save_adapter(model, log, tmp_path, "sdk", "mfn")
    loaded, meta = adapter.load_adapter(tmp_path, "sdk", "mfn")
    probe = np.eye(8, dtype=np.float32)[:2]
    assert np.allclose(loaded.predict(probe, verbose=0), model.predict(probe, verbose=0), atol=1e-6)
    assert meta["oracle"] == "sdk" and meta["in_dim"] == 8
    with pytest.raises(Exception, match="train_adapter"):
        adapter.load_adapter(tmp_path, "other", "mfn")


def test_query_stats_by_hand():
    from tf_reconstruct.studies.blackbox_table import query_stats
    mean, p95 = query_stats([1, 2, 3, 4, 100])
    assert mean == 22.0 and p95 == pytest.approx(80.8)      # 4 + 0.8 x (100 - 4) at position 3.8 of 0..4


def test_blackbox_and_whitebox_methods_do_not_share_a_run():
    from tf_reconstruct.evaluation import methods
    methods.check_methods(["bb_adapter_cma", "bb_bank", "bb_blobs"])
    with pytest.raises(InputError, match="cannot share a run"):
        methods.check_methods(["bb_bank", "ours"])


def test_the_table_reads_each_methods_scores_and_its_records(tmp_path):
    from tf_reconstruct.evaluation import methods, report_files
    from tf_reconstruct.optimize import runner
    from tf_reconstruct.studies.blackbox_table import blackbox_rows
    run = tmp_path / "screen"
    report_files.write_csv(run / "summary.csv", [
        {"method": methods.LABELS["bb_adapter_cma"], "identities": 2, "dlib_resnet128 I / II": "100.0 / 50.0",
         "mobilefacenet512 I / II": "50.0 / 25.0", "mobilefacenet192 I / II": "100.0 / 75.0",
         "gender agreement %": 100, "dlib_resnet128 II per identity": 50.0}])
    folder = methods.output_dir(run, "bb_adapter_cma")
    for name, calls, seconds in (("a", 10, 2.0), ("b", 30, 4.0)):
        (folder / f"{name}.png").parent.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.png").write_bytes(b"png")
        runner.write_record(folder, name, {"oracle_calls": calls, "seconds": seconds})
    [row] = blackbox_rows(run)
    assert row["oracle queries / face (mean)"] == 20.0 and row["oracle queries / face (p95)"] == 29.0
    assert row["s / face"] == 3.0 and row["dlib (attacked) I / II"] == "100.0 / 50.0"
    assert row["MobileFaceNet-192 I / II"] == "surrogate: 100.0 / 75.0"      # the adapter route touched it


def test_an_anchor_run_may_name_its_own_method():
    from tf_reconstruct.studies.blackbox_table import anchor_entry
    assert anchor_entry("experiments/lfw/run", "ours_fast_c2f_hold30") == ("experiments/lfw/run", "ours_fast_c2f_hold30")
    assert anchor_entry("experiments/lfw/run:ours_fast", "ours_fast_c2f_hold30") == ("experiments/lfw/run", "ours_fast")


def test_the_q512_route_differs_from_the_chosen_one_only_in_what_the_oracle_is_shown():
    import dataclasses
    chosen, q512 = BB_METHODS["bb_adapter_lfw_cma_joint_2k"], BB_METHODS["bb_adapter_lfw_cma_joint_2k_q512"]
    assert (chosen.query_resolution, q512.query_resolution) == (256, 512)
    assert dataclasses.replace(q512, label=chosen.label, query_resolution=256) == chosen
    hinge = BB_METHODS["bb_adapter_lfw_cma_joint_2k_q512_hinge"]
    assert dataclasses.replace(hinge, label=q512.label, surrogate_margin=None) == q512
    fine = BB_METHODS["bb_adapter_lfw_cma_joint_2k_fine512"]
    assert dataclasses.replace(fine, label=chosen.label, fine_resolution=None, fine_queries=0) == chosen
    assert (fine.query_resolution, fine.fine_resolution, fine.fine_queries) == (256, 512, 500)


def test_the_student_recovers_a_linear_map_from_unit_templates():
    rng = np.random.default_rng(3)
    surrogate = rng.standard_normal((400, 6)) * rng.uniform(0.5, 2.0, (400, 1))   # norms vary; the map reads units
    weights, bias = rng.standard_normal((6, 4)), rng.standard_normal(4)
    oracle = unit(surrogate) @ weights + bias
    found_weights, found_bias = student.fit_student(surrogate, oracle, ridge=1e-9)
    assert np.allclose(found_weights, weights, atol=1e-5) and np.allclose(found_bias, bias, atol=1e-5)
    assert student.mean_distance(found_weights, found_bias, surrogate, oracle) < 1e-5
    # A ridge shrinks the map towards zero and leaves the bias to carry the mean.
    shrunk, _ = student.fit_student(surrogate, oracle, ridge=1e3)
    assert np.linalg.norm(shrunk) < 0.5 * np.linalg.norm(weights)


def test_the_student_is_scored_on_the_adapters_held_out_pairs():
    rng = np.random.default_rng(4)
    bank, photos = rng.standard_normal((300, 8)), rng.standard_normal((100, 8))
    mixing = rng.standard_normal((8, 5))
    fitted = student.train_student(bank, np.tanh(unit(bank) @ mixing),
                                   real=(np.tanh(unit(photos) @ mixing), photos), ridge=0.01)
    training, held = adapter.real_split(100)
    assert fitted.log["pairs"] == 285 + 95
    assert fitted.log["real_validation_distance"] == pytest.approx(student.mean_distance(
        fitted.weights, fitted.bias, photos[held], np.tanh(unit(photos[held]) @ mixing)), abs=1e-4)
    assert fitted.log["validation_distance"] < 0.5 * np.mean(np.linalg.norm(np.tanh(unit(bank) @ mixing), 1))
    bank_training, _ = adapter.split(300)
    learnt = np.concatenate([np.tanh(unit(bank[bank_training]) @ mixing),
                             np.tanh(unit(photos[training]) @ mixing)])
    assert np.allclose(fitted.centre, learnt.mean(0))     # the mean template of what it learnt from
    assert fitted.surrogate_norm == pytest.approx(np.mean(np.linalg.norm(
        np.concatenate([bank[bank_training], photos[training]]), axis=1)))


def test_the_student_stage_matches_both_blocks_at_the_surrogates_scale(tmp_path):
    rng = np.random.default_rng(5)
    surrogate = tf.keras.Sequential([tf.keras.layers.Flatten(), tf.keras.layers.Dense(6)])
    surrogate.build((None, 112, 112, 3))
    base = Extractor("tiny", surrogate, 6, "a tiny surrogate")
    fitted = student.Student(rng.standard_normal((6, 4)), rng.standard_normal(4), rng.standard_normal(4), 7.0,
                             {"ridge": 0.1})
    student.save_student(fitted, tmp_path, "oracle", "tiny", "bank_lfw")
    loaded = student.load_student(tmp_path, "oracle", "tiny", "bank_lfw")
    assert loaded.log["data"] == "bank_lfw" and np.allclose(loaded.weights, fitted.weights)
    assert np.allclose(loaded.centre, fitted.centre) and loaded.surrogate_norm == 7.0
    with pytest.raises(MissingCheckpointError, match="adapter_parts=student"):
        student.load_student(tmp_path, "oracle", "tiny", "bank")
    faces = _faces(2).astype(np.float32)
    translated, template = rng.standard_normal((2, 6)), rng.standard_normal((2, 4))
    found = np.asarray(student.student_extractor(base, loaded, weight=0.5)(faces))
    targets = student.stage_targets(translated, template, loaded, weight=0.5)
    assert found.shape == targets.shape == (2, 10)
    own = np.asarray(base(faces))
    # The first block is the surrogate's raw template against the translation at length 7 ...
    assert np.allclose(found[:, :6], own, atol=1e-5)
    assert np.allclose(targets[:, :6], 7.0 * unit(translated), atol=1e-5)
    assert np.allclose(np.linalg.norm(student.rescaled(translated, 7.0), axis=1), 7.0)
    # ... the second the student's prediction about its centre, against the template's, both 0.5 * 7 long.
    predicted = unit(own) @ fitted.weights + fitted.bias - fitted.centre
    assert np.allclose(found[:, 6:], 3.5 * unit(predicted), atol=1e-4)
    assert np.allclose(targets[:, 6:], 3.5 * unit(template - fitted.centre), atol=1e-5)
