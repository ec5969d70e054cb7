"""Bad input gets one line naming the value and what is allowed, and a non-zero exit, never a traceback."""

import pytest

from tests.helpers import lit_gd_fails

CASES = {
    "--model.lr -1": "--model.lr must be a positive finite number, got -1.0",
    "--model.lr 0": "--model.lr must be a positive finite number, got 0.0",
    "--data.batch_size 0": "--data.batch_size must be 'full' or a whole number of at least 1, got 0",
    "--lr_scheduler StepLR --lr_scheduler.step_size 3": "--lr_scheduler needs --optimizer too",
    "--ckpt_path last": "--ckpt_path last: no earlier run of linear_regression has a",
}


@pytest.mark.parametrize("flags", CASES)
def test_bad_value_one_line_error(flags, capsys):
    status, message = lit_gd_fails(f"fit --config configs/linear_regression.yaml {flags}", capsys)
    assert status == 1 and message.startswith(f"lit-gd: error: {CASES[flags]}")


def test_unequal_data_lengths(capsys):
    status, message = lit_gd_fails("fit --config configs/linear_regression.yaml --data.x '[1, 2]'", capsys)
    assert message == "lit-gd: error: --data.x has 2 values but --data.y has 4: give one target per input"
