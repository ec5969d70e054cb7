"""Batch, stochastic and mini-batch gradient descent, any torch.optim optimizer (LBFGS's closure included),
lr schedules, gradient accumulation and clipping, resuming from a checkpoint and predicting from one: each
against a plain PyTorch loop doing the same updates in the same order."""

import csv
from pathlib import Path

import pytest
import torch

from lit_gd import LinearRegression
from tests.helpers import fit_cli, lit_gd, scalars

X, Y = torch.tensor([1.0, 2, 3, 4]), torch.tensor([2.0, 4, 6, 8])


def plain_linear_regression(
    epochs: int,
    batch_size: int,
    order=None,
    optimizer=torch.optim.SGD,
    accumulate: int = 1,
    clip=lambda params: None,
    schedule=None,
    **settings,
):
    """Tutorial 000's model and loss, in ``order(epoch)`` (default: in turn): an optimizer step for every
    ``accumulate`` batches and at the epoch's end, each batch's loss divided by ``accumulate``, the gradients
    clipped by ``clip(params)`` before each step; ``schedule(optimizer)``'s scheduler steps after each
    epoch, given the loss on all the points where it is a ReduceLROnPlateau."""
    w, b = torch.zeros((), requires_grad=True), torch.zeros((), requires_grad=True)
    step = optimizer([w, b], **settings)
    scheduler = schedule(step) if schedule else None
    loss = lambda batch: torch.mean((w * X[batch] + b - Y[batch]) ** 2)  # noqa: E731
    for epoch in range(epochs):
        indices = order(epoch) if order else torch.arange(len(X))
        for together in indices.split(batch_size * accumulate):

            def closure(together=together):
                step.zero_grad()
                for batch in together.split(batch_size):
                    (loss(batch) / accumulate if accumulate > 1 else loss(batch)).backward()
                clip([w, b])
                return loss(together[-batch_size:]).detach()

            step.step(closure) if isinstance(step, torch.optim.LBFGS) else (closure(), step.step())
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            with torch.no_grad():
                scheduler.step(loss(torch.arange(len(X))))
        elif scheduler:
            scheduler.step()
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


PLAIN_RULES = {  # flags: the plain loop's settings for the same updates
    "--optimizer LBFGS --optimizer.lr 0.5 --trainer.max_epochs 5": {
        "optimizer": torch.optim.LBFGS,
        "lr": 0.5,
    },
    "--data.batch_size 1 --trainer.accumulate_grad_batches 3 --trainer.max_epochs 30": {
        "batch_size": 1,
        "accumulate": 3,
    },
    "--trainer.gradient_clip_val 1.5": {"clip": lambda p: torch.nn.utils.clip_grad_norm_(p, 1.5)},
    "--trainer.gradient_clip_val 0.5 --trainer.gradient_clip_algorithm value": {
        "clip": lambda p: torch.nn.utils.clip_grad_value_(p, 0.5)
    },
    "--data.batch_size 2 --optimizer SGD --optimizer.lr 0.01 --lr_scheduler StepLR --lr_scheduler.step_size 3"
    " --lr_scheduler.gamma 0.5": {
        "batch_size": 2,
        "schedule": lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5),
    },
    "--optimizer SGD --optimizer.lr 0.01 --lr_scheduler ReduceLROnPlateau --lr_scheduler.monitor val/loss"
    " --lr_scheduler.threshold 0.2 --lr_scheduler.patience 0 --trainer.check_val_every_n_epoch 1": {
        "schedule": lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, threshold=0.2, patience=0)
    },
}


@pytest.mark.parametrize("flags", PLAIN_RULES)
def test_optimizers_schedules_accumulation_and_clipping_equal_a_plain_loop(flags):
    """The examples step by hand (manual optimization): each of Lightning's ways of making a step still
    does exactly what its plain loop does."""
    settings = {"batch_size": 4, "lr": 0.01} | PLAIN_RULES[flags]
    run = fit_cli("linear_regression", f"--trainer.max_epochs 100 {flags}")
    epochs = int(flags.split("--trainer.max_epochs ")[1].split()[0]) if "max_epochs" in flags else 100
    assert trained(run) == pytest.approx(plain_linear_regression(epochs, **settings), rel=1e-6)


def test_clipping_leaves_the_logged_gradient_as_computed():
    """Clipping comes after the callbacks have seen the gradient: grad/w at step 0 is the full -30, while
    the step taken is the clipped one."""
    run = fit_cli("linear_regression", "--trainer.max_epochs 1 --trainer.gradient_clip_val 1.5")
    assert scalars(run)["grad/w"][0] == (0, -30.0)
    w, b = trained(run)
    assert (w**2 + b**2) ** 0.5 == pytest.approx(0.01 * 1.5, rel=1e-6)


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


def test_resuming_from_a_checkpoint_of_automatic_optimization_equals_an_uninterrupted_run(tmp_path):
    """Checkpoints written before the examples stepped by hand count their steps in Lightning's automatic
    optimization loop: a run resumed from one goes on from that step, as it did then."""
    whole = fit_cli("linear_regression", "--trainer.max_epochs 40")
    first_half = fit_cli("linear_regression", "--trainer.max_epochs 20")
    checkpoint = torch.load(first_half / "checkpoints" / "last.ckpt", weights_only=False)
    loops = checkpoint["loops"]["fit_loop"]
    manual = loops["epoch_loop.manual_optimization.optim_step_progress"]
    assert manual["total"]["completed"] == 20
    loops["epoch_loop.automatic_optimization.optim_progress"]["optimizer"]["step"] = {**manual}
    loops["epoch_loop.manual_optimization.optim_step_progress"] = {
        "total": {"ready": 0, "completed": 0},
        "current": {"ready": 0, "completed": 0},
    }
    torch.save(checkpoint, tmp_path / "automatic.ckpt")
    resumed = fit_cli(
        "linear_regression", f"--trainer.max_epochs 40 --ckpt_path {tmp_path / 'automatic.ckpt'}"
    )
    assert [step for step, _ in scalars(resumed)["train/loss"]] == list(range(20, 40))
    assert trained(resumed) == trained(whole)


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
