"""The optimisation loop on the real models: template checks, a short run, frozen stopped samples."""

import json

import numpy as np
import pytest

from tf_reconstruct.optimize import reconstruct as engine
from tf_reconstruct.optimize.settings import EngineSettings


def test_template_errors_name_the_problem():
    with pytest.raises(engine.TemplateError, match="192-d"):
        engine.check_templates(np.ones((2, 512)), 192)
    with pytest.raises(engine.TemplateError, match="NaN"):
        engine.check_templates(np.array([[np.nan] * 4]), 4)
    with pytest.raises(engine.TemplateError, match="shape"):
        engine.check_templates(np.zeros((0, 4)), 4)
    with pytest.raises(engine.TemplateError, match="all zeros"):
        engine.check_templates(np.zeros((1, 4)), 4)
    assert engine.check_templates(np.ones(4), 4).shape == (1, 4)


@pytest.mark.models
def test_short_run_lowers_the_loss_and_freezes_stopped_samples(generator, extractor192):
    target = extractor192(np.random.default_rng(0).integers(0, 256, (2, 112, 112, 3)).astype(np.uint8)).numpy()
    result = engine.reconstruct(generator, extractor192, target, steps=6, patience=50, loss="mse",
                                optimizer="adam", resolution=64, render_final=False, log_every=0)
    assert result.w_plus.shape == (2, generator.num_ws, 512)
    assert list(result.steps) == [6, 6] and all(len(curve) == 6 for curve in result.loss_curves)
    assert all(min(curve[1:]) < curve[0] for curve in result.loss_curves)
    # Patience 1 with a learning rate of 0: no improvement after the first step, so both stop at step 2
    # and keep the starting latent exactly.
    frozen = engine.reconstruct(generator, extractor192, target, steps=10, patience=1, learning_rate=0.0,
                                resolution=64, render_final=False, log_every=0)
    assert list(frozen.steps) == [2, 2]
    np.testing.assert_array_equal(frozen.w_plus, generator.mean_w_plus(2))


@pytest.mark.models
def test_the_success_stop_reads_the_attackers_cosine_through_the_fixed_warp(generator, extractor192):
    import tensorflow as tf
    # The template of a generated face: its cosine from the mean start rises quickly. With the cosine loss the
    # tracked curve is 1 - the attacker's cosine through the fixed warp, the stop's signal.
    w_plus = generator.mean_w_plus(1) + 0.6 * np.random.default_rng(5).standard_normal((1, 1, 512)).astype(np.float32)
    target = engine.embed_generated(generator, extractor192, tf.constant(w_plus), 64).numpy()
    common = dict(steps=40, patience=50, resolution=64, loss="cosine", render_final=False, log_every=0)
    plain = engine.reconstruct(generator, extractor192, target, **common)
    level = 1.0 - float(np.percentile(plain.loss_curves[0], 40))    # reached part-way through the run
    stopped = engine.reconstruct(generator, extractor192, target, success_cosine=level, success_steps=3, **common)
    assert plain.stopped_by == ["cap"] and stopped.stopped_by == ["success"]
    # The same path until the stop: the rule changes when a face ends, not how it moves.
    taken = int(stopped.steps[0])
    assert 3 <= taken < 40
    np.testing.assert_allclose(stopped.loss_curves[0], plain.loss_curves[0][:taken], atol=1e-6)
    # It stopped at the first evaluation that ended 3 in a row at the level.
    at_level = [1.0 - loss >= level for loss in plain.loss_curves[0]]
    first = next(index for index in range(2, 40) if all(at_level[index - 2:index + 1]))
    assert taken == first + 1


@pytest.mark.models
def test_truncation_is_the_papers_lerp_towards_w_avg(generator):
    import tensorflow as tf
    latent = tf.constant(np.random.default_rng(2).standard_normal((1, generator.num_ws, 512)).astype(np.float32))
    restrained = engine.latent_to_w_plus(generator, latent, "wplus", truncation=0.5).numpy()
    np.testing.assert_allclose(restrained, (latent.numpy() + generator.w_avg) / 2, atol=1e-6)
    assert engine.latent_to_w_plus(generator, latent, "wplus") is latent


@pytest.mark.models
def test_schedule_reaches_the_optimizer(generator, extractor192):
    # The projector schedule's rate is 0 at the first step, so the second evaluation sees the same latent.
    target = np.random.default_rng(4).standard_normal((1, 192)).astype(np.float32) * 5
    result = engine.reconstruct(generator, extractor192, target, steps=3, learning_rate=0.1, optimizer="adam",
                                schedule="projector", loss="mse", resolution=64, render_final=False, log_every=0)
    curve = result.loss_curves[0]
    assert curve[1] == curve[0] and curve[2] != curve[1]


@pytest.mark.models
@pytest.mark.slow
def test_refilled_and_compacted_slots_match_solo_runs(generator, extractor192):
    # Three templates through two slots: the third starts when the first stops, and the tail is compacted
    # to one slot. SGD has no state, so every sample must follow the same path as when run alone.
    targets = np.random.default_rng(7).standard_normal((3, 192)).astype(np.float32) * 3
    # A huge first target makes SGD overshoot at once, so the first two stop at different steps and the
    # third template takes a slot while the other is still running.
    targets[0] *= 100
    settings = EngineSettings(truncation=1.0, steps=7, patience=2, learning_rate=0.01, resolution=32, batch_size=2)
    quiet = dict(render_final=False, log_every=0)
    finished = []
    shared, _, _ = engine.reconstruct_stream(generator, extractor192, targets, settings,
                                             on_done=lambda sample: finished.append(sample.index), **quiet)
    assert sorted(finished) == [0, 1, 2] and shared[0].steps != shared[1].steps
    for index in range(3):
        alone = engine.reconstruct(generator, extractor192, targets[index], settings, batch_size=1, **quiet)
        assert shared[index].steps == alone.steps[0]
        # Round-off differs with the batch size (oneDNN picks other kernels) and the overshooting first
        # sample amplifies it; a slot mix-up or stale state would differ by orders of magnitude.
        np.testing.assert_allclose(shared[index].loss_curve, alone.loss_curves[0], rtol=2e-2)
        np.testing.assert_allclose(shared[index].w_plus, alone.w_plus[0], atol=5e-2)


def test_overshot_means_a_patience_stop_with_the_best_loss_in_the_first_steps():
    assert engine.overshot(steps_taken=52, stale_steps=50, patience=50)        # best at step 2
    assert engine.overshot(steps_taken=55, stale_steps=50, patience=50)        # best at step 5, the limit
    assert not engine.overshot(steps_taken=56, stale_steps=50, patience=50)    # best at step 6
    assert not engine.overshot(steps_taken=2000, stale_steps=3, patience=50)   # stopped by the cap


@pytest.mark.models
@pytest.mark.slow
def test_an_overshooting_sample_restarts_from_its_start_with_half_the_step(generator, extractor192):
    # A huge target makes SGD overshoot at once: the first attempt stops on patience with its best at the
    # start, and the restart must be exactly a fresh run at half the rate, appended to the first.
    target = np.random.default_rng(7).standard_normal((1, 192)).astype(np.float32) * 300
    settings = EngineSettings(truncation=1.0, steps=7, patience=2, resolution=32, batch_size=1, learning_rate=0.01)
    quiet = dict(render_final=False, log_every=0)
    first = engine.reconstruct(generator, extractor192, target, settings, **quiet)
    second = engine.reconstruct(generator, extractor192, target, settings, learning_rate=0.005, **quiet)
    assert engine.overshot(int(first.steps[0]), 2, 2), "the fixture must overshoot"
    (sample,), _, _ = engine.reconstruct_stream(generator, extractor192, target, settings.replace(restarts=1),
                                                **quiet)
    assert sample.restarts == 1 and sample.steps == first.steps[0] + second.steps[0]
    np.testing.assert_allclose(sample.loss_curve, first.loss_curves[0] + second.loss_curves[0], rtol=1e-4)
    better = first if first.loss[0] <= second.loss[0] else second
    assert sample.loss == pytest.approx(float(better.loss[0]), rel=1e-5)
    np.testing.assert_allclose(sample.w_plus, better.w_plus[0], atol=1e-5)
    # The paper's engine (no restarts) is unchanged; Adam refuses restarts.
    (plain,), _, _ = engine.reconstruct_stream(generator, extractor192, target, settings, **quiet)
    assert plain.restarts == 0 and plain.steps == first.steps[0]
    with pytest.raises(ValueError, match="sgd"):
        engine.reconstruct_stream(generator, extractor192, target, settings.replace(optimizer="adam", restarts=1))


@pytest.mark.models
@pytest.mark.slow
def test_a_sample_whose_render_fails_the_face_check_restarts_and_its_non_face_ranks_last(generator, extractor192):
    target = extractor192(np.random.default_rng(3).integers(0, 256, (1, 112, 112, 3)).astype(np.uint8)).numpy()
    settings = EngineSettings(truncation=1.0, steps=3, patience=50, resolution=32, batch_size=1)
    quiet = dict(render_final=False, log_every=0)
    first = engine.reconstruct(generator, extractor192, target, settings, learning_rate=0.1, **quiet)
    second = engine.reconstruct(generator, extractor192, target, settings, learning_rate=0.05, **quiet)
    seen = []

    def first_render_has_no_face(image):
        seen.append(image.shape)
        return len(seen) > 1

    checked = settings.replace(restarts=2, face_check=True)
    (sample,), _, _ = engine.reconstruct_stream(generator, extractor192, target, checked,
                                                face_checker=first_render_has_no_face, **quiet)
    assert seen == [(generator.resolution, generator.resolution, 3)] * 2   # checked at full resolution
    assert sample.restarts == 1 and sample.steps == first.steps[0] + second.steps[0]
    # The second attempt is kept even where the first, a known non-face, reached a lower loss.
    np.testing.assert_allclose(sample.w_plus, second.w_plus[0], atol=1e-5)
    assert sample.loss == pytest.approx(float(second.loss[0]), rel=1e-5)
    # Without restarts the check is never asked: the paper's engine.
    engine.reconstruct_stream(generator, extractor192, target, settings, face_checker=first_render_has_no_face,
                              **quiet)
    assert len(seen) == 2
    # Given the first attempt (ours' own run), the engine begins at the restart and ends where it did.
    known = {0: (float("inf"), first.w_plus[0], int(first.steps[0]))}
    (skipped,), _, _ = engine.reconstruct_stream(generator, extractor192, target, checked,
                                                 face_checker=first_render_has_no_face, known_attempts=known, **quiet)
    assert skipped.restarts == 1 and skipped.steps == sample.steps and len(seen) == 3
    np.testing.assert_allclose(skipped.w_plus, sample.w_plus, atol=1e-5)
    with pytest.raises(ValueError, match="restarts"):
        engine.reconstruct_stream(generator, extractor192, target, settings, known_attempts=known, **quiet)


@pytest.mark.models
@pytest.mark.slow
def test_a_real_lfw_template_is_reconstructed_to_cosine_above_half(generator, extractor192):
    from conftest import require_shared_data
    from tf_reconstruct.align import photo_align
    from tf_reconstruct.datasets import lfw
    source = "Abel_Pacheco_0001"   # the first image of LFW pairs.txt
    photo = lfw.read_images(require_shared_data("lfw/lfw-deepfunneled.tgz"), [source])[source]
    template = extractor192(photo_align.align_photo(photo, source)[None]).numpy()
    result = engine.reconstruct(generator, extractor192, template, steps=40, resolution=256, precision="auto",
                                truncation=0.7, log_every=0)
    curve = result.loss_curves[0]
    assert min(curve) < 0.5 * curve[0]
    # Scored at 1024 px in float32 by the attacked extractor: the start (mean face) is far below this.
    print(f"{source}: cosine {result.final_cosine[0]:.3f} after {result.steps[0]} steps")
    assert result.final_cosine[0] >= 0.5


@pytest.mark.models
@pytest.mark.slow
def test_a_finished_face_is_rendered_again_from_its_kept_w_plus(tmp_path, generator, extractor192):
    # Runs keep only the record and w+ in git; a fresh clone renders the face from them instead of optimising.
    from tf_reconstruct.optimize import runner
    template = np.random.default_rng(3).standard_normal(192).astype(np.float32)
    settings = EngineSettings(steps=2, patience=50, resolution=32, precision="auto", batch_size=1)
    assert runner.run(generator, extractor192, [("a", template)], tmp_path, settings) == 1
    first = (tmp_path / "a.png").read_bytes()
    record = json.loads((tmp_path / "a.json").read_text())
    assert record["computed_in"] in ("float32", "bfloat16")
    # The record says how the face was made: the method, the whole settings, the start, the threads.
    assert record["method"] == "ours" and record["start"] == {"kind": "mean"} and record["threads"] >= 1
    assert EngineSettings.from_record(record["settings"]) == settings
    # The settings read back from the record (JSON) make the same face, bit for bit.
    again = EngineSettings.from_record(json.loads(json.dumps(record["settings"])))
    assert runner.run(generator, extractor192, [("a", template)], tmp_path / "again", again) == 1
    assert (tmp_path / "again" / "a.png").read_bytes() == first
    assert (tmp_path / "again" / "a_wplus.npy").read_bytes() == (tmp_path / "a_wplus.npy").read_bytes()
    (tmp_path / "a.png").unlink()
    assert runner.run(generator, extractor192, [("a", template)], tmp_path, settings) == 0
    assert (tmp_path / "a.png").read_bytes() == first
    # A record with neither face nor w+ (older runs kept only records in git) is reconstructed again.
    (tmp_path / "a.png").unlink()
    (tmp_path / "a_wplus.npy").unlink()
    assert not runner.is_done(tmp_path, "a")
    assert runner.run(generator, extractor192, [("a", template)], tmp_path, settings) == 1
