"""Resuming from a checkpoint written when a run was stopped mid-epoch: the resumed run goes on with the
very next batch, and what the two runs logged, put together, and the parameters they end with equal those
of the same run never stopped, bit for bit; for full batch, batch 1, shuffled mini-batches and a larger
shuffled data set, at several points (mid-epoch, an epoch's last batch, just before a validation)."""

from pathlib import Path

import pytest
import torch

from tests.helpers import latest_run, lit_gd, scalars

FLAVOURS = {
    "full batch": (
        "relu_regression",
        "--trainer.max_epochs 60 --trainer.check_val_every_n_epoch 20",
        [7, 20, 39],
    ),
    "batch 1": (
        "linear_regression",
        "--data.batch_size 1 --trainer.max_epochs 15 --trainer.check_val_every_n_epoch 5",
        [6, 19, 21],
    ),
    "shuffled mini-batches, Adam": (
        "linear_regression",
        "--data.batch_size 3 --data.shuffle true --optimizer Adam --optimizer.lr 0.1 --trainer.max_epochs 15"
        " --trainer.check_val_every_n_epoch 5",
        [3, 10, 17],
    ),
    "shuffled, held-out validation": (
        "synthetic_regression",
        "--data.samples 500 --data.batch_size 64 --data.shuffle true --trainer.max_epochs 4"
        " --trainer.check_val_every_n_epoch 2",
        [5, 13, 20],
    ),
}


SIGNAL_AT_STEP = "tests.helpers.SignalAtStep"


def final_state(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]


@pytest.mark.slow
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_stopped_mid_epoch_and_resumed_equals_never_stopped(flavour):
    example, flags, stops = FLAVOURS[flavour]
    command = f"fit --config configs/{example}.yaml {flags}"
    lit_gd(command)
    whole = latest_run(example)
    for step in stops:
        with pytest.raises(SystemExit) as stopped_exit:
            lit_gd(
                f"{command} --trainer.callbacks tests.helpers.SignalAtStep --trainer.callbacks.step {step}"
            )
        assert stopped_exit.value.code == 130
        stopped = latest_run(example)
        assert torch.load(stopped / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == step
        lit_gd(f"{command} --ckpt_path last")
        resumed = latest_run(example)

        expected, before, after = scalars(whole), scalars(stopped), scalars(resumed)
        assert set(before) | set(after) == set(expected), step
        for tag, values in expected.items():
            assert sorted(before.get(tag, []) + after.get(tag, [])) == values, (step, tag)
        for name, value in final_state(whole).items():
            assert torch.equal(final_state(resumed)[name], value), (step, name)


def test_last_checkpoint_keeps_its_state_under_modelcheckpoints_key():
    # LastCheckpoint makes its state key once for its settings; a checkpoint's callback state is found by it
    from datetime import timedelta

    from lightning.pytorch.callbacks import ModelCheckpoint

    from lit_gd.callbacks import LastCheckpoint

    ours = LastCheckpoint(save_last=True, save_top_k=0, train_time_interval=timedelta(minutes=5))
    made_anew = ModelCheckpoint.state_key.fget  # what ModelCheckpoint makes at every call
    assert ours.state_key == made_anew(ours)
    assert "LastCheckpoint" in ours.state_key and "seconds=300" in ours.state_key
    ours._every_n_epochs = 3  # a setting changed after the key was made: a new key
    assert ours.state_key == made_anew(ours) and "'every_n_epochs': 3" in ours.state_key
