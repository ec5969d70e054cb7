"""Bad input gets one line naming the value and what is allowed, and a non-zero exit, never a traceback."""

from pathlib import Path

import pytest
import torch

from tests.helpers import lit_gd, lit_gd_fails

LINEAR = "fit --config configs/linear_regression.yaml"
CASES = {
    # learning rate
    f"{LINEAR} --model.lr -1": "--model.lr must be a positive finite number, got -1.0",
    f"{LINEAR} --model.lr 0": "--model.lr must be a positive finite number, got 0.0",
    f"{LINEAR} --model.lr nan": "--model.lr nan: expected float",
    f"{LINEAR} --model.lr fast": "--model.lr fast: expected float",
    # batch size and data
    f"{LINEAR} --data.batch_size 0": "--data.batch_size must be 'full' or a whole number of at least 1, got 0",
    f"{LINEAR} --data.batch_size -3": "--data.batch_size must be 'full' or a whole number of at least 1, got -3",
    f"{LINEAR} --data.batch_size half": "--data.batch_size half: expected int or 'full'",
    f"{LINEAR} --data.batch_size 10": "--data.batch_size 10 is more than the 4 training points",
    f"{LINEAR} --data.shuffle maybe": "--data.shuffle maybe: expected bool",
    f"{LINEAR} --data.val_fraction 1.5": "--data.val_fraction must be at least 0 and below 1, got 1.5",
    "fit --config configs/synthetic_regression.yaml --data.samples 0": "--data.samples must be a whole number of",
    f"{LINEAR} --data.x '[1, 2]'": "--data.x has 2 values but --data.y has 4: give one target per input",
    # epochs and the trainer
    f"{LINEAR} --trainer.max_epochs -5": "`max_epochs` must be a non-negative integer or -1. You passed in -5.",
    f"{LINEAR} --trainer.max_steps -5": "`max_steps` must be a non-negative integer or -1 (infinite steps)",
    f"{LINEAR} --trainer.precision 7": "--trainer.precision 7: expected 64, 32, 16 or 'transformer-engine'",
    # names of examples and classes, flags, configs
    "fit --model Perceptron --data NotGateData": "--model Perceptron: no such class; choose one of BCEClassifier, LinearRegression, LogisticRegression, NotGate, Quadratic, ReLURegression, SyntheticRegression, TwoLayerReLU",
    "fit --model NotGate --data XorData": "--data XorData: no such class; choose one of BCEClassifierData,",
    f"{LINEAR} --nonsense 3": "unrecognized arguments: --nonsense 3 (--help lists every flag)",
    f"{LINEAR} --model.ww 3": "--model.ww 3: LinearRegression has no argument 'ww'; it takes lr, bias, w, b, gradient, in_features",
    f"{LINEAR} --data.z 3": "--data.z 3: LinearRegressionData has no argument 'z'; it takes x, y, batch_size, shuffle,",
    "fit --config configs/no_such_example.yaml": 'Parser key "config": File does not exist:',
    f"{LINEAR} --config typo.yaml": "Subcommand 'fit' does not accept option 'trainer.max_epoch'",
    f"{LINEAR} --dead_relu.action panic": "--dead_relu.action panic: expected 'warn', 'stop'",
    f"{LINEAR} --lr_scheduler StepLR --lr_scheduler.step_size 3": "--lr_scheduler needs --optimizer too",
    # a model and data whose shapes don't fit
    "fit --model LinearRegression --data ReLURegressionData": "LinearRegression takes 1 input column(s) but the",
    "fit --model NotGate --data BCEClassifierData": "NotGate takes 1 input column(s) but the data has 2",
    "fit --config configs/bce_classifier.yaml --model.hidden 0": "--model.hidden must be at least 1 unit, got 0",
    # checkpoints
    f"{LINEAR} --ckpt_path missing.ckpt": "--ckpt_path missing.ckpt: no such file",
    f"{LINEAR} --ckpt_path last": "--ckpt_path last: no earlier run of linear_regression has a",
    f"{LINEAR} --ckpt_path notes.ckpt": "--ckpt_path notes.ckpt is not a checkpoint lit-gd can read safely",
    f"{LINEAR} --ckpt_path truncated.ckpt": "--ckpt_path truncated.ckpt is not a checkpoint lit-gd can read safely",
    f"{LINEAR} --ckpt_path foreign.ckpt": "--ckpt_path foreign.ckpt is not a Lightning checkpoint",
    f"{LINEAR} --ckpt_path pickled.ckpt": "--ckpt_path pickled.ckpt is not a checkpoint lit-gd can read safely",
}


@pytest.fixture
def bad_files():
    Path("typo.yaml").write_text("trainer:\n  max_epoch: 3\n")
    Path("notes.ckpt").write_text("not a checkpoint")
    torch.save({"weights": torch.zeros(2)}, "foreign.ckpt")
    torch.save({"state_dict": {}, "payload": Path(".")}, "pickled.ckpt")  # loading it would run code
    lit_gd("fit --config configs/not_gate.yaml --trainer.max_epochs 1")
    Path("truncated.ckpt").write_bytes(
        Path("logs/not_gate/version_0/checkpoints/last.ckpt").read_bytes()[:2000]
    )


def test_at_least_twenty_kinds():
    assert len(CASES) >= 20


@pytest.mark.parametrize("command", CASES)
def test_bad_input_one_line_error(command, bad_files, capsys):
    status, message = lit_gd_fails(command, capsys)
    assert status in (1, 2)
    assert message.startswith(f"lit-gd: error: {CASES[command]}"), message


def test_predict_inputs_of_the_wrong_width(capsys):
    lit_gd("fit --config configs/linear_regression.yaml --trainer.max_epochs 1")
    status, message = lit_gd_fails(
        "predict --config configs/linear_regression.yaml --ckpt_path last --data.predict_inputs '[[1, 2]]'",
        capsys,
    )
    assert message == "lit-gd: error: --data.predict_inputs must be rows of 1 number(s), got shape (1, 2)"


def test_mismatched_shapes_never_meet_in_a_loss(capsys):
    """Tutorial 003's nn.Linear NOT gate compared a [2, 1] output with a [2] target: a [2, 2] loss."""
    from lit_gd import NotGate

    with pytest.raises(ValueError, match=r"predicts shape \(2, 1\) but the targets have shape \(2,\)"):
        NotGate().model_step((torch.tensor([[0.0], [1.0]]), torch.tensor([1.0, 0.0])))
