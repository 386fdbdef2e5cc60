"""Dataset readers on small trees the tests build: Color FERET's DVD layout, FFHQ and generic folders, LFW."""

import bz2
import io
import tarfile

import cv2
import numpy as np
import pytest

from tf_reconstruct.datasets import base, colorferet, ffhq, folder, lfw
from tf_reconstruct.datasets.errors import DatasetError


def _image(seed, size=(24, 16)):
    return np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)


def _write_feret(root, disc, image_id, rgb, pose=None, eyes=None):
    subject = image_id.split("_")[0]
    image_dir = root / disc / "data" / "images" / subject
    image_dir.mkdir(parents=True, exist_ok=True)
    ok, encoded = cv2.imencode(".ppm", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    (image_dir / f"{image_id}.ppm.bz2").write_bytes(bz2.compress(encoded.tobytes()))
    truth_dir = root / disc / "data" / "ground_truths" / "name_value" / subject
    truth_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"id=cfrR{image_id}", "capture_date=08/31/1993"]
    if pose:
        lines.append(f"pose={pose}")
    if eyes:
        lines += [f"left_eye_coordinates={eyes[0]} {eyes[1]}", f"right_eye_coordinates={eyes[2]} {eyes[3]}"]
    (truth_dir / f"{image_id}.txt").write_text("\n".join(lines) + "\n")


def test_colorferet_reader_on_a_synthetic_dvd_tree(tmp_path):
    _write_feret(tmp_path, "dvd1", "00001_930831_fa", _image(1), pose="fa", eyes=(10, 12, 20, 12))
    _write_feret(tmp_path, "dvd1", "00001_930831_fb", _image(2))            # pose from the file name
    _write_feret(tmp_path, "dvd1", "00001_930831_pl", _image(3), pose="pl")  # a profile: left out
    _write_feret(tmp_path, "dvd2", "00740_940128_fa_a", _image(4), pose="fa")
    dataset = colorferet.load_colorferet(tmp_path)
    assert dataset.images_by_identity == {"00001": ["00001_930831_fa", "00001_930831_fb"],
                                          "00740": ["00740_940128_fa_a"]}
    images = dataset.read(["00001_930831_fb", "00740_940128_fa_a"])
    np.testing.assert_array_equal(images["00001_930831_fb"], _image(2))   # RGB, not BGR
    np.testing.assert_array_equal(images["00740_940128_fa_a"], _image(4))
    record = colorferet.ground_truth(tmp_path, "00001_930831_fa")
    assert colorferet.eye_coordinates(record) == ((10.0, 12.0), (20.0, 12.0))
    assert colorferet.eye_coordinates(colorferet.ground_truth(tmp_path, "00001_930831_fb")) is None
    all_poses = colorferet.load_colorferet(tmp_path, poses=None)
    assert len(all_poses.images_by_identity["00001"]) == 3


def test_colorferet_missing_or_corrupt_data_says_where_to_get_it(tmp_path):
    with pytest.raises(DatasetError, match="nist.gov.*--data_dir"):
        colorferet.load_colorferet(tmp_path / "absent")
    with pytest.raises(DatasetError, match="no Color FERET images"):
        colorferet.load_colorferet(tmp_path)
    broken = tmp_path / "dvd1" / "data" / "images" / "00002"
    broken.mkdir(parents=True)
    (broken / "00002_930831_fa.ppm.bz2").write_bytes(b"not bzip2")
    dataset = colorferet.load_colorferet(tmp_path)
    with pytest.raises(DatasetError, match="00002_930831_fa.ppm.bz2"):
        dataset.read(["00002_930831_fa"])


def test_ffhq_and_generic_folders(tmp_path):
    (tmp_path / "ffhq").mkdir()
    for index in range(3):
        cv2.imwrite(str(tmp_path / "ffhq" / f"{index:05d}.png"), cv2.cvtColor(_image(index), cv2.COLOR_RGB2BGR))
    dataset = ffhq.load_ffhq(tmp_path / "ffhq")
    assert not dataset.labelled and dataset.images_by_identity["00001"] == ["00001"]
    np.testing.assert_array_equal(dataset.read(["00002"])["00002"], _image(2))
    for person, count in (("ann", 2), ("bob", 1)):
        (tmp_path / "people" / person).mkdir(parents=True)
        for index in range(count):
            cv2.imwrite(str(tmp_path / "people" / person / f"{index}.jpg"), _image(index))
    (tmp_path / "people" / "bob" / "notes.txt").write_text("ignored")
    people = folder.load_folder(tmp_path / "people")
    assert people.images_by_identity == {"ann": ["ann/0", "ann/1"], "bob": ["bob/0"]}
    listed = [item[:2] for item in base.iterate(people, ["ann", "bob"])]
    assert listed == [("ann", "ann/0"), ("ann", "ann/1"), ("bob", "bob/0")]
    (tmp_path / "people" / "bob" / "0.jpg").write_bytes(b"broken")
    with pytest.raises(DatasetError, match="bob/0.jpg.*not a readable image"):
        people.read(["bob/0"])
    with pytest.raises(DatasetError, match="--data_dir"):
        ffhq.load_ffhq(tmp_path / "absent")


def _lfw_tgz(path, variant, names):
    with tarfile.open(path, "w:gz") as archive:
        for name, count in names.items():
            for number in range(1, count + 1):
                ok, data = cv2.imencode(".jpg", _image(number))
                info = tarfile.TarInfo(f"{variant}/{name}/{name}_{number:04d}.jpg")
                info.size = len(data.tobytes())
                archive.addfile(info, io.BytesIO(data.tobytes()))


@pytest.mark.parametrize("variant", lfw.VARIANTS)
def test_lfw_any_variant_from_tgz_or_folder(tmp_path, variant):
    _lfw_tgz(tmp_path / f"{variant}.tgz", variant, {"Ann_Lee": 2, "Bo_Wu": 1})
    (tmp_path / "pairs.txt").write_text("1\nAnn_Lee 1 2\nAnn_Lee 1 Bo_Wu 1\n")
    dataset = lfw.load_lfw(tmp_path)
    assert dataset.images_by_identity == {"Ann_Lee": ["Ann_Lee_0001", "Ann_Lee_0002"], "Bo_Wu": ["Bo_Wu_0001"]}
    assert dataset.protocol_pairs == [("Ann_Lee_0001", "Ann_Lee_0002", True), ("Ann_Lee_0001", "Bo_Wu_0001", False)]
    assert dataset.read(["Bo_Wu_0001"])["Bo_Wu_0001"].shape == (24, 16, 3)
    with tarfile.open(tmp_path / f"{variant}.tgz") as archive:
        archive.extractall(tmp_path, filter="data")
    (tmp_path / f"{variant}.tgz").unlink()
    assert lfw.load_lfw(tmp_path).read(["Ann_Lee_0002"])["Ann_Lee_0002"].shape == (24, 16, 3)


def test_an_lfw_archive_is_decompressed_once_per_process_until_it_changes(tmp_path, monkeypatch):
    archive = tmp_path / "lfw.tgz"
    _lfw_tgz(archive, "lfw", {"Ann_Lee": 1})
    opened = []
    real_open = tarfile.open

    def counting_open(path, mode="r", **kwargs):
        if mode.startswith("r"):
            opened.append(path)
        return real_open(path, mode, **kwargs)
    monkeypatch.setattr(lfw.tarfile, "open", counting_open)
    assert lfw.read_images(archive, ["Ann_Lee_0001"])["Ann_Lee_0001"].shape == (24, 16, 3)
    assert lfw.read_images(archive, ["Ann_Lee_0001"])["Ann_Lee_0001"].shape == (24, 16, 3)
    assert len(opened) == 1
    # Rewritten (another size and time), it is read again: the new person is there.
    _lfw_tgz(archive, "lfw", {"Ann_Lee": 1, "Bo_Wu": 1})
    assert set(lfw.read_images(archive, ["Ann_Lee_0001", "Bo_Wu_0001"])) == {"Ann_Lee_0001", "Bo_Wu_0001"}
    assert len(opened) == 2


def test_lfw_missing_dir_names_the_flag(tmp_path):
    with pytest.raises(DatasetError, match="--data_dir"):
        lfw.load_lfw(tmp_path / "absent")
    with pytest.raises(DatasetError, match="--data_dir"):
        lfw.load_lfw(tmp_path)
