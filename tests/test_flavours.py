"""Batch, stochastic and mini-batch gradient descent, any torch.optim optimizer, resuming from a checkpoint
and predicting from one: each against a plain PyTorch loop doing the same updates in the same order."""

import csv
from pathlib import Path

import pytest
import torch

from lit_gd import LinearRegression
from tests.helpers import fit_cli, lit_gd

X, Y = torch.tensor([1.0, 2, 3, 4]), torch.tensor([2.0, 4, 6, 8])


def plain_linear_regression(epochs: int, batch_size: int, order=None, optimizer=torch.optim.SGD, **settings):
    """Tutorial 000's model and loss, one optimizer step per batch, in ``order(epoch)`` (default: in turn)."""
    w, b = torch.zeros((), requires_grad=True), torch.zeros((), requires_grad=True)
    step = optimizer([w, b], **settings)
    for epoch in range(epochs):
        indices = order(epoch) if order else torch.arange(len(X))
        for batch in indices.split(batch_size):
            step.zero_grad()
            torch.mean((w * X[batch] + b - Y[batch]) ** 2).backward()
            step.step()
    return w.item(), b.item()


def trained(run: Path) -> tuple[float, float]:
    model = LinearRegression.load_from_checkpoint(run / "checkpoints" / "last.ckpt")
    return model.w.item(), model.b.item()


@pytest.mark.parametrize("batch_size", [1, 2, 3])
def test_stochastic_and_mini_batch_equal_a_plain_loop(batch_size):
    run = fit_cli("linear_regression", f"--data.batch_size {batch_size} --trainer.max_epochs 30")
    expected = plain_linear_regression(30, batch_size, lr=0.01)
    assert trained(run) == pytest.approx(expected, rel=1e-6)


def test_full_batch_is_the_seed_run():
    assert trained(fit_cli("linear_regression")) == pytest.approx((1.846347, 0.451757), abs=5e-7)


def test_shuffled_order_is_seeded_per_epoch():
    run = fit_cli("linear_regression", "--data.batch_size 1 --data.shuffle true --trainer.max_epochs 20")
    order = lambda epoch: torch.randperm(4, generator=torch.Generator().manual_seed(0 + epoch))  # noqa: E731
    assert trained(run) == pytest.approx(plain_linear_regression(20, 1, order, lr=0.01), rel=1e-6)
    assert trained(run) != pytest.approx(plain_linear_regression(20, 1, lr=0.01), rel=1e-6)


@pytest.mark.parametrize(
    ("flags", "optimizer", "settings"),
    [
        ("--optimizer Adam --optimizer.lr 0.1", torch.optim.Adam, {"lr": 0.1}),
        ("--optimizer RMSprop --optimizer.lr 0.01", torch.optim.RMSprop, {"lr": 0.01}),
        (
            "--optimizer SGD --optimizer.lr 0.01 --optimizer.momentum 0.9",
            torch.optim.SGD,
            {"lr": 0.01, "momentum": 0.9},
        ),
    ],
)
def test_any_torch_optimizer_equals_its_plain_loop(flags, optimizer, settings):
    run = fit_cli("linear_regression", f"{flags} --trainer.max_epochs 50")
    assert trained(run) == pytest.approx(
        plain_linear_regression(50, 4, optimizer=optimizer, **settings), rel=1e-6
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "flags", ["", "--optimizer Adam --optimizer.lr 0.1 --data.batch_size 1 --data.shuffle true"]
)
def test_resuming_from_last_equals_an_uninterrupted_run(flags):
    whole = fit_cli("linear_regression", f"{flags} --trainer.max_epochs 40")
    first_half = fit_cli("linear_regression", f"{flags} --trainer.max_epochs 20")
    resumed = fit_cli("linear_regression", f"{flags} --trainer.max_epochs 40 --ckpt_path last")
    assert resumed.name.startswith("002-") and first_half.name.startswith("001-")  # nothing overwritten
    assert trained(resumed) == trained(whole)  # exactly, not approximately


def test_predict_from_a_checkpoint_writes_and_prints_f5(capsys):
    run = fit_cli("linear_regression", "--model.bias false")
    lit_gd(
        "predict --config configs/linear_regression.yaml --model.bias false "
        f"--ckpt_path {run}/checkpoints/last.ckpt --data.predict_inputs '[[5], [1.5]]'"
    )
    printed = capsys.readouterr().out
    written = list(csv.reader((run / "predictions.csv").open()))  # beside the checkpoint that predicted
    assert written[0] == ["x", "prediction"]
    assert [float(x) for x in written[1]] == [5.0, pytest.approx(10.0, abs=5e-4)]
    assert f"{float(written[1][1]):.3f}" == "10.000"
    assert "x,prediction\n5,9.999998\n1.5,3" in printed


def test_predict_reads_inputs_from_a_csv_file(capsys):
    fit_cli("linear_regression", "--model.bias false --trainer.max_epochs 20")
    Path("inputs.csv").write_text("x\n5\n")
    lit_gd(
        "predict --config configs/linear_regression.yaml --model.bias false --ckpt_path last"
        " --data.predict_inputs inputs.csv"
    )
    assert "5,9.612" in capsys.readouterr().out  # f(5) after 20 epochs, tutorial 002
