"""The inpaint command: classical and inversion fills write their files; bad inputs get a clear message."""

import json

import cv2
import numpy as np
import pytest

from cli_in_process import run_cli


def _run(*args):
    return run_cli("tf_reconstruct.inpaint", *args)


def _write(path, array):
    cv2.imwrite(str(path), array)
    return path


def test_bad_masks_are_refused_with_the_fix(tmp_path):
    image = _write(tmp_path / "face.png", np.full((64, 48, 3), 120, np.uint8))
    wrong = _write(tmp_path / "wrong.png", np.zeros((32, 32), np.uint8))
    result = _run(f"--image={image}", f"--mask={wrong}", "--method=telea")
    assert result.returncode != 0 and "is 32x32 but --image=face.png is 48x64" in result.stderr
    empty = _write(tmp_path / "empty.png", np.zeros((64, 48), np.uint8))
    assert "marks no pixel as missing" in _run(f"--image={image}", f"--mask={empty}", "--method=telea").stderr
    full = _write(tmp_path / "full.png", np.full((64, 48), 255, np.uint8))
    assert "marks every pixel as missing" in _run(f"--image={image}", f"--mask={full}", "--method=ns").stderr
    assert "not a readable image" in _run(f"--image={tmp_path / 'none.png'}", f"--mask={full}").stderr
    grey = _write(tmp_path / "grey.png", np.tile(np.linspace(0, 255, 48).astype(np.uint8), (64, 1)))
    refused = _run(f"--image={image}", f"--mask={grey}", "--method=telea")
    assert refused.returncode == 2 and "grey.png is not binary" in refused.stderr and "threshold" in refused.stderr
    for mask in (wrong, empty, full, grey):
        assert _run(f"--image={image}", f"--mask={mask}", "--method=telea").returncode == 2
    assert not list(tmp_path.glob("face_telea*"))   # nothing written


def test_a_zero_one_mask_and_an_antialiased_edge_are_binary_enough(tmp_path):
    from tf_reconstruct.inpainting import inputs
    hole = np.zeros((20, 20), np.uint8)
    hole[5:10, 5:10] = 1
    assert inputs.binary_hole(hole).sum() == 25
    soft = hole * 255
    soft[10, 5:8] = 128                  # 3 grey edge pixels of 400: under 1%
    assert inputs.binary_hole(soft).sum() == 28


def test_a_photo_without_a_face_is_refused_before_any_model_loads(tmp_path):
    wall = _write(tmp_path / "wall.png", np.full((200, 200, 3), 128, np.uint8))
    small = np.zeros((200, 200), np.uint8)
    small[90:110, 90:110] = 255
    refused = _run(f"--image={wall}", f"--mask={_write(tmp_path / 'small.png', small)}", "--method=inversion",
                   "--checkpoint_dir=/nonexistent")
    assert refused.returncode == 2 and "no face found" in refused.stderr and "wall.png" in refused.stderr


def test_telea_writes_the_filled_image_and_side_by_side(tmp_path):
    image = _write(tmp_path / "face.png", np.full((64, 48, 3), 120, np.uint8))
    hole = np.zeros((64, 48), np.uint8)
    hole[20:30, 10:20] = 255
    mask = _write(tmp_path / "hole.png", hole)
    result = _run(f"--image={image}", f"--mask={mask}", "--method=telea", f"--out={tmp_path / 'out'}")
    assert result.returncode == 0, result.stderr[-2000:]
    filled = cv2.imread(str(tmp_path / "out.png"))
    assert filled.shape == (64, 48, 3) and np.abs(filled.astype(int) - 120).max() <= 2
    assert cv2.imread(str(tmp_path / "out_side_by_side.png")).shape == (64, 96, 3)


@pytest.mark.models
@pytest.mark.slow
def test_inversion_fills_a_real_face_and_refuses_a_wall(tmp_path, tiny_bank):
    from conftest import require_shared_data
    from tf_reconstruct.datasets import lfw
    photo = lfw.load_lfw(require_shared_data("lfw")).read(["George_W_Bush_0001"])["George_W_Bush_0001"]
    image = _write(tmp_path / "bush.png", cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    hole = np.zeros(photo.shape[:2], np.uint8)
    hole[140:170, 100:150] = 255
    mask = _write(tmp_path / "hole.png", hole)
    result = _run(f"--image={image}", f"--mask={mask}", "--method=inversion", "--invert_steps=3",
                  f"--baselines_dir={tiny_bank}",
                  f"--out={tmp_path / 'filled'}")
    assert result.returncode == 0, result.stderr[-3000:]
    filled = cv2.imread(str(tmp_path / "filled.png"))
    np.testing.assert_array_equal(filled[hole == 0], cv2.imread(str(image))[hole == 0])   # known pixels kept
    assert not np.array_equal(filled[hole > 0], cv2.imread(str(image))[hole > 0])
    # Started from the Mapping of the holed face's template instead of the latent bank: another fill.
    mapped = _run(f"--image={image}", f"--mask={mask}", "--method=inversion", "--invert_steps=3",
                  "--invert_start=mapping", f"--baselines_dir={tiny_bank}", f"--out={tmp_path / 'mapped'}")
    assert mapped.returncode == 0, mapped.stderr[-3000:]
    from_mapping = cv2.imread(str(tmp_path / "mapped.png"))
    np.testing.assert_array_equal(from_mapping[hole == 0], cv2.imread(str(image))[hole == 0])
    assert not np.array_equal(from_mapping[hole > 0], filled[hole > 0])


@pytest.mark.models
@pytest.mark.slow
def test_a_template_guides_the_fill_and_a_wrong_one_is_refused(tmp_path, tiny_bank, monkeypatch):
    from conftest import require_shared_data
    from tf_reconstruct.datasets import lfw
    photos = lfw.load_lfw(require_shared_data("lfw")).read(["George_W_Bush_0001", "George_W_Bush_0002"])
    image = _write(tmp_path / "bush.png", cv2.cvtColor(photos["George_W_Bush_0001"], cv2.COLOR_RGB2BGR))
    other = _write(tmp_path / "bush_other.jpg", cv2.cvtColor(photos["George_W_Bush_0002"], cv2.COLOR_RGB2BGR))
    hole = np.zeros(photos["George_W_Bush_0001"].shape[:2], np.uint8)
    hole[140:172, 100:150] = 255
    mask = _write(tmp_path / "hole.png", hole)
    wrong = tmp_path / "wide.npy"
    np.save(wrong, np.ones(512, np.float32))
    refused = _run(f"--image={image}", f"--mask={mask}", f"--template={wrong}", f"--out={tmp_path / 'x'}")
    assert refused.returncode == 2 and "wide.npy has shape (512,)" in refused.stderr and "192-d" in refused.stderr
    assert not list(tmp_path.glob("x*"))
    # The judges cannot be loaded: the guided fill must not need them.
    from tf_reconstruct.models import registry
    real = registry.get_extractor
    monkeypatch.setattr(registry, "get_extractor", lambda name, *a, **k: real(name, *a, **k) if name == "mobilefacenet192"
                        else (_ for _ in ()).throw(AssertionError(f"a judge ({name}) was loaded while filling")))
    done = _run(f"--image={image}", f"--mask={mask}", f"--template={other}", "--invert_steps=3", "--blend=poisson",
                f"--baselines_dir={tiny_bank}", f"--out={tmp_path / 'guided'}")
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads((tmp_path / "guided.json").read_text())
    assert record["guided"] and record["template_source"] == "photo" and record["blend"] == "poisson"
    assert record["models_touched"] == ["mobilestylegan", "mobilefacenet192", "mtcnn"]
    filled = cv2.imread(str(tmp_path / "guided.png"))
    np.testing.assert_array_equal(filled[hole == 0], cv2.imread(str(image))[hole == 0])
    from tf_reconstruct.inpainting import inputs
    template, source = inputs.read_template(other, real("mobilefacenet192", None, None))
    stored = tmp_path / "bush.npy"
    np.save(stored, template)
    again = _run(f"--image={image}", f"--mask={mask}", f"--template={stored}", "--invert_steps=3",
                 f"--baselines_dir={tiny_bank}", f"--out={tmp_path / 'from_db'}")
    assert again.returncode == 0 and json.loads((tmp_path / "from_db.json").read_text())["template_source"] == "database"


@pytest.mark.models
@pytest.mark.slow
def test_patent_method_names_the_training_command_without_weights_and_fills_with_them(tmp_path, extractor192,
                                                                                      generator):
    from conftest import require_shared_data
    from tf_reconstruct.datasets import lfw
    from tf_reconstruct.inpainting import trainer
    from test_inpainting_training import _faces
    photo = lfw.load_lfw(require_shared_data("lfw")).read(["George_W_Bush_0001"])["George_W_Bush_0001"]
    image = _write(tmp_path / "bush.png", cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    hole = np.zeros(photo.shape[:2], np.uint8)
    hole[140:170, 100:150] = 255
    mask = _write(tmp_path / "hole.png", hole)
    missing = _run(f"--image={image}", f"--mask={mask}", "--method=patent", f"--network_dir={tmp_path / 'none'}")
    assert missing.returncode != 0 and "python -m tf_reconstruct.train_inpainting" in missing.stderr
    # A network trained for 2 steps is enough to check the plumbing: the known pixels stay, the hole changes.
    settings = trainer.TrainSettings(size=64, width=0.0625, batch_size=2, steps=2, checkpoint_every=2)
    trainer.train(_faces(), tmp_path / "net", settings, trainer.FaceFeatures(extractor192, generator.landmarks),
                  progress=False)
    done = _run(f"--image={image}", f"--mask={mask}", "--method=patent", f"--network_dir={tmp_path / 'net'}",
                f"--out={tmp_path / 'patent'}")
    assert done.returncode == 0, done.stderr[-3000:]
    filled = cv2.imread(str(tmp_path / "patent.png"))
    np.testing.assert_array_equal(filled[hole == 0], cv2.imread(str(image))[hole == 0])


@pytest.mark.models
@pytest.mark.slow
def test_inpainting_study_on_a_tiny_test_set(tmp_path, tiny_bank):
    from conftest import require_shared_data
    out = tmp_path / "study"
    study = "tf_reconstruct.studies.inpainting_eval"
    args = [f"--data_dir={require_shared_data('lfw')}",
            f"--ffhq_dir={require_shared_data('ffhq_samples')}", "--inpaint_test_faces=3", "--inpaint_ffhq_faces=1",
            f"--baselines_dir={tiny_bank}", "--inpaint_methods=telea,ns,inversion,inversion_poisson",
            "--inpaint_invert_steps=2", f"--inpaint_out={out}"]
    result = run_cli(study, *args)
    assert result.returncode == 0, result.stderr[-3000:]
    table = (out / "results.csv").read_text()
    assert "PSNR hole dB" in table and "Frechet distance" in table and len(table.splitlines()) == 1 + 4 * 3
    with np.load(out / "test_set" / "masks.npz") as saved:
        names, bins = saved["names"].tolist(), saved["bins"]
        holes = np.unpackbits(saved["packed"], axis=-1)[..., :256]
    assert len(names) == 4 and list(bins) == [0, 1, 2, 0]
    from tf_reconstruct.inpainting import masks
    for hole, bin_index in zip(holes, bins):
        low, high = masks.BINS[bin_index]
        assert low <= hole.mean() < high
    assert (out / "figure.png").is_file() and (out / "parsing.png").is_file()
    # A second run reuses the masks and the filled faces.
    cached = out / "cache" / "fits_inversion.npz"
    written = cached.stat().st_mtime_ns
    again = run_cli(study, *args[:-3], "--inpaint_methods=inversion", *args[-2:])
    assert again.returncode == 0, again.stderr[-3000:]
    assert cached.stat().st_mtime_ns == written
    # The inversion started from the Mapping, at two budgets from one fit: their own caches, their own rows
    # beside the others'.
    mapped = run_cli(study, *args[:-3], "--inpaint_methods=inversion,inversion_mapping,inversion_mapping_3steps_poisson",
                     *args[-2:])
    assert mapped.returncode == 0, mapped.stderr[-3000:]
    rows = [line.split(",")[0] for line in (out / "results.csv").read_text().splitlines()[1:]]
    assert rows == (["telea"] * 3 + ["ns"] * 3 + ["inversion"] * 3 + ["inversion_mapping"] * 3 +
                    ["inversion_poisson"] * 3 + ["inversion_mapping_3steps_poisson"] * 3)   # earlier rows kept, in order
    assert cached.stat().st_mtime_ns == written
    for stem, steps in (("inversion_mapping", 2), ("inversion_mapping_3steps", 3)):
        with np.load(out / "cache" / f"fits_{stem}.npz") as saved:
            assert f"{steps} steps, mapping start" in str(saved["made_by"]) and len(saved["names"]) == 4
    assert "3 steps, mapping start" in (out / "per_face" / "inversion_mapping_3steps_poisson.csv").read_text()


@pytest.mark.models
@pytest.mark.slow
def test_guided_study_on_a_tiny_dev_split(tmp_path, tiny_bank):
    from conftest import require_shared_data
    out = tmp_path / "study"
    args = [f"--data_dir={require_shared_data('lfw')}", "--guided_split=dev", "--guided_dev_faces=3",
            "--guided_weights=1", "--guided_steps=2", "--unguided_steps=2", f"--baselines_dir={tiny_bank}",
            f"--inpaint_out={out}"]
    done = run_cli("tf_reconstruct.studies.guided_inpainting", *args)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = (out / "guided_dev" / "results.csv").read_text().splitlines()
    assert len(rows) == 1 + 7 * 4   # Telea, and 2 inversions x 3 blends, per bin and over all
    assert "seam excess" in rows[0] and "attacker cosine to template" in rows[0]
    faces = json.loads((out / "guided_dev" / "faces.json").read_text())
    for face in faces:   # the template comes from another photo of the same person
        identity = face["face"].split("/")[1]
        assert face["template_from"].startswith(identity) and face["template_from"] != f"{identity}_0001"
    cache = out / "guided_dev" / "cache" / "fits_guided_2_1.npz"
    written = cache.stat().st_mtime_ns
    again = run_cli("tf_reconstruct.studies.guided_inpainting", *args)
    assert again.returncode == 0 and cache.stat().st_mtime_ns == written   # resumed, not refitted
