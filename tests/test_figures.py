"""Every figure of the tutorials (docs/tutorials.md), reproduced through Lightning: by the CLI on the
example's config, and by a plain Trainer on the module. Figures given to 7 decimals are compared to half
their last digit."""

import pytest
import torch
from torchmetrics.functional import mean_squared_error

from lit_gd import LinearRegression, LinearRegressionData, NotGate, NotGateData, Quadratic, QuadraticData
from tests.helpers import fit_cli, fit_trainer, latest_evaluation, lit_gd, scalars, values


def figure(value: float, decimals: int = 7):
    """A figure printed with ``decimals`` decimals: equal to 1e-6 relative or to its printed precision."""
    return pytest.approx(value, rel=1e-6, abs=0.5 * 10**-decimals)


NOT_GATE_LOSSES = [0.5183403, 0.50608575, 0.50116986, 0.49811363, 0.4955888]


def test_not_gate_cli(tmp_path):
    run = fit_cli("not_gate")
    assert values(run, "train/loss") == [figure(v, 8) for v in NOT_GATE_LOSSES]
    assert values(run, "grad/w")[0] == figure(0.0173450)
    assert values(run, "grad/b")[0] == figure(-0.0355320)
    # the tutorial's printed w and b at the start of iterations 0..4 (float32 numpy output)
    assert values(run, "param/w") == [figure(v) for v in [3.0, 2.8265495, 2.6806374, 2.5405035, 2.3969853]]
    assert values(run, "param/b") == [figure(v) for v in [1.0, 1.3553205, 1.5435127, 1.6586863, 1.7300583]]


def test_not_gate_trainer(tmp_path):
    model = NotGate()
    run = fit_trainer(model, NotGateData(), 5, tmp_path)
    assert values(run, "train/loss") == [figure(v, 8) for v in NOT_GATE_LOSSES]
    assert model.w.item() == figure(2.243242, 6)
    assert model.b.item() == figure(1.768915, 6)


# x after each step and y before it (tutorial 003, printed as float32)
QUADRATIC_X = [3.8, 2.84, 2.072, 1.4576, 0.96607995, 0.57286394, 0.25829116, 0.006632924, -0.19469367]
QUADRATIC_X += [-0.35575491]
QUADRATIC_Y = [36.0, 23.039999, 14.7456, 9.437184, 6.039798, 3.8654704, 2.473901, 1.5832967, 1.0133098]
QUADRATIC_Y += [0.6485183]


def test_quadratic_cli(tmp_path):
    run = fit_cli("quadratic", "--trainer.max_epochs 10")
    assert values(run, "grad/x")[0] == 12.0
    assert values(run, "train/loss") == [pytest.approx(y, rel=1e-6) for y in QUADRATIC_Y]
    assert values(run, "param/x") == [pytest.approx(x, rel=1e-6) for x in [5.0, *QUADRATIC_X[:-1]]]


def test_quadratic_trainer_reaches_minimum(tmp_path):
    model = Quadratic()
    fit_trainer(model, QuadraticData(), 10, tmp_path)
    assert model.x.item() == pytest.approx(QUADRATIC_X[-1], rel=1e-6)
    model = Quadratic()
    fit_trainer(model, QuadraticData(), 200, tmp_path)
    assert model.x.item() == pytest.approx(-1.0, abs=1e-6)


def test_linear_regression_with_bias_100_epochs(tmp_path):
    run = fit_cli("linear_regression")
    assert values(run, "param/w")[0] == 0.0 and values(run, "param/b")[0] == 0.0
    assert values(run, "train/loss")[-1] == figure(0.0342897)
    model = LinearRegression.load_from_checkpoint(run / "checkpoints" / "last.ckpt")
    assert model.w.item() == figure(1.846347, 6)
    assert model.b.item() == figure(0.451757, 6)


@pytest.mark.parametrize(("epochs", "w", "f5"), [(20, 1.922481, 9.612), (100, None, 10.000)])
def test_linear_regression_without_bias(tmp_path, epochs, w, f5):
    model = LinearRegression(bias=False)
    run = fit_trainer(model, LinearRegressionData(), epochs, tmp_path)
    losses, ws = values(run, "train/loss"), values(run, "param/w")
    assert losses[0] == 30.0 and ws[1] == figure(0.300, 3)  # epoch 1: loss 30.0, then w = 0.300
    if epochs == 20:
        # the tutorial prints, at epoch 19, the loss before the step and w after it
        assert ws[19] == figure(1.909, 3) and losses[18] == figure(0.08633806, 8)
        assert model.w.item() == figure(w, 6)
    assert model(torch.tensor([[5.0]])).item() == figure(f5, 3)


def test_linear_regression_without_bias_cli(tmp_path):
    run = fit_cli("linear_regression", "--model.bias false --trainer.max_epochs 20")
    assert "param/b" not in scalars(run)
    model = LinearRegression.load_from_checkpoint(run / "checkpoints" / "last.ckpt")
    assert model.w.item() == figure(1.922481, 6)
    assert model(torch.tensor([[5.0]])).item() == figure(9.612, 3)


def test_mse_example_is_2675(tmp_path):
    """Tutorial 000's MSE example: predictions y = 9x + 350 against the scores; its comment says 2550.
    The other regression metrics on the same case: MAE 42.5, R² = 1 - 10700/39275."""
    targets = torch.tensor([480.0, 520, 710, 680])
    predictions = torch.tensor([440.0, 530, 620, 710])
    assert mean_squared_error(predictions, targets).item() == 2675.0
    lit_gd(
        "validate --config configs/linear_regression.yaml --model.w 9 --model.b 350"
        " --data.x '[10, 20, 30, 40]' --data.y '[480, 520, 710, 680]'"
    )
    run = latest_evaluation("linear_regression")
    assert values(run, "val/mse") == [2675.0]
    assert values(run, "val/loss") == [2675.0]
    assert values(run, "val/mae") == [42.5]
    assert values(run, "val/r2") == [pytest.approx(1 - 10700 / 39275, rel=1e-6)]
