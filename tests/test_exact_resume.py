"""An interrupted run resumed with exact_resume writes the bits of an uninterrupted one: the batch of its last
checkpoint (slots, the faces in them, the queue) is rebuilt and replayed; without a checkpoint all starts again."""

import numpy as np
import pytest

from tf_reconstruct.optimize import in_flight, runner
from tf_reconstruct.optimize.settings import EngineSettings

pytestmark = [pytest.mark.models, pytest.mark.slow]

# A large step and a short patience stop the faces at different steps (11, 5, 5, 14, 6), so slots refill and
# the batch shrinks at the end: the layout matters.
SETTINGS = EngineSettings(steps=14, patience=2, learning_rate=1.0, resolution=64, truncation=1.0, batch_size=2)


def templates():
    rows = np.random.default_rng(7).standard_normal((5, 192)).astype(np.float32)
    return [(f"t{index}", row) for index, row in enumerate(rows)]


def outputs(folder, name):
    return ((folder / f"{name}.png").read_bytes(), (folder / f"{name}_wplus.npy").read_bytes())


def interrupted_run(generator, extractor, folder, die_at_save, monkeypatch):
    """Runs until checkpoint `die_at_save` is due and fails there, as a worker killed between checkpoints: the
    file holds the checkpoint before, and faces finished since are written (so a plain resume would leave
    them out of the batch and change its shape)."""
    saves, original = [], in_flight.save

    def die_at(*args, **kwargs):
        saves.append(1)
        if len(saves) == die_at_save:
            raise KeyboardInterrupt
        original(*args, **kwargs)
    monkeypatch.setattr(in_flight, "save", die_at)
    with pytest.raises(KeyboardInterrupt):
        runner.run(generator, extractor, templates(), folder, SETTINGS,
                   options=runner.RunOptions(checkpoint_every=2, exact_resume=True))
    monkeypatch.setattr(in_flight, "save", original)


@pytest.fixture(scope="module")
def whole(generator, extractor192, tmp_path_factory):
    """The uninterrupted run every interrupted one is compared with (made once)."""
    folder = tmp_path_factory.mktemp("whole")
    assert runner.run(generator, extractor192, templates(), folder, SETTINGS,
                      options=runner.RunOptions(exact_resume=True)) == 5
    return folder


@pytest.mark.parametrize("die_at_save", [3, 5])
def test_a_resumed_run_writes_the_bits_of_an_uninterrupted_one(generator, extractor192, tmp_path, monkeypatch,
                                                               die_at_save, whole):
    broken = tmp_path / "broken"
    interrupted_run(generator, extractor192, broken, die_at_save, monkeypatch)
    layout = in_flight.layout_of(broken / in_flight.FILE_NAME)
    assert layout["size"] <= 2 and len(layout["owner"]) == layout["size"]
    done_before = {name for name, _ in templates() if runner.is_done(broken, name)}
    written = runner.run(generator, extractor192, templates(), broken, SETTINGS,
                         options=runner.RunOptions(exact_resume=True))
    assert written == 5 - len(done_before)
    for name, _ in templates():
        assert outputs(broken, name) == outputs(whole, name), name
    assert not (broken / in_flight.FILE_NAME).exists()


def test_the_plan_falls_back_to_all_templates_when_the_checkpoint_does_not_fit():
    by_name = {"a": 0, "b": 1, "c": 2}
    layout = {"size": 2, "owner": ["b", ""], "pending": ["c"]}
    assert runner._exact_plan(by_name, ["b", "c"], {"b": {}}, layout) == (["b", "c"], layout)
    # a face left to do that the checkpoint does not hold: replay everything from the start
    assert runner._exact_plan(by_name, ["a", "b", "c"], {"b": {}}, layout) == (["a", "b", "c"], None)
    # no checkpoint and some done: all again (the done ones are not rewritten)
    assert runner._exact_plan(by_name, ["c"], {}, None) == (["a", "b", "c"], None)
    assert runner._exact_plan(by_name, ["a", "b", "c"], {}, None) == (["a", "b", "c"], None)
