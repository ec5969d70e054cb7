"""A run that goes wrong says so in words: divergence, dead ReLUs, and Ctrl-C or SIGTERM mid-run."""

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from lit_gd import LinearRegression, TwoLayerReLU
from lit_gd.errors import TrainingStopped
from lit_gd.guards import DeadReLUMonitor, GracefulInterrupt, SaturationMonitor
from lit_gd.runs import runs_of
from tests.helpers import fit_cli, latest_run, lit_gd_fails, values


def test_divergence_stops_at_the_step_and_keeps_the_last_good_state(capsys):
    """lr 1e6 on linear regression: the loss is 30, 8.35e15, 2.33e30, then inf at step 3."""
    status, message = lit_gd_fails("fit --config configs/linear_regression.yaml --model.lr 1e6", capsys)
    run = latest_run("linear_regression")
    assert status == 1
    assert message.startswith(
        "lit-gd: error: training diverged at step 3: the loss is inf; the last finite loss"
    )
    assert "Try a lower learning rate" in message
    w, b = torch.zeros((), requires_grad=True), torch.zeros((), requires_grad=True)
    x, y = torch.tensor([1.0, 2, 3, 4]), torch.tensor([2.0, 4, 6, 8])
    optimizer = torch.optim.SGD([w, b], lr=1e6)
    for _ in range(2):  # the parameters of step 2, the last with a finite loss
        optimizer.zero_grad()
        torch.mean((w * x + b - y) ** 2).backward()
        optimizer.step()
    good = LinearRegression.load_from_checkpoint(run / "checkpoints" / "last-good.ckpt")
    assert (good.w.item(), good.b.item()) == (w.item(), b.item())
    assert values(run, "train/loss")[:3] == pytest.approx([30.0, 8.35e15, 2.3289e30], rel=1e-3)


def test_two_layer_net_is_diagnosed_as_dead_relus(capsys):
    status, message = lit_gd_fails("fit --config configs/two_layer.yaml --dead_relu.action stop", capsys)
    assert status == 1
    assert message.startswith(
        "lit-gd: error: dead ReLUs: all 3 unit(s) of 'hidden_relu' have output 0 on every training point"
        " since step 2"
    )


def test_dead_relus_warn_by_default_and_training_goes_on(caplog):
    run = fit_cli("two_layer")
    assert values(run, "train/loss")[2:] == [100.0] * 8
    assert "warning: dead ReLUs: all 3 unit(s) of 'hidden_relu'" in caplog.text


def test_a_healthy_net_raises_no_alarm(caplog):
    fit_cli("bce_classifier", "--trainer.max_epochs 50")
    assert "dead ReLUs" not in caplog.text


def test_nn_relu_modules_keep_the_seed_numbers():
    torch.manual_seed(5)
    model = TwoLayerReLU()
    assert [name for name, _ in model.named_modules() if "relu" in name] == ["hidden_relu", "output_relu"]


LIT_GD = str(Path(sys.executable).with_name("lit-gd"))


def lit_gd_process(*args: str) -> subprocess.Popen:
    command = [
        LIT_GD,
        "fit",
        "--config",
        "configs/relu_regression.yaml",
    ]
    return subprocess.Popen(
        [*command, "--config", "configs/presets/cpu.yaml", "--trainer.enable_progress_bar", "false", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_signal_stops_training_only_after_a_whole_step():
    """Stopping in the handler let a signal between steps end the next epoch before its first batch: an
    empty epoch that counted on resuming (the resumed run then fell one step short). The handler only
    records the signal; the stop comes at the end of the step, as TrainingStopped with 128 + its number."""
    progress = SimpleNamespace(is_last_batch=False)  # mid-epoch
    mid_epoch = SimpleNamespace(epoch_loop=SimpleNamespace(batch_progress=progress))
    trainer = SimpleNamespace(should_stop=False, world_size=1, global_step=7, fit_loop=mid_epoch)
    interrupt = GracefulInterrupt()
    interrupt.on_train_start(trainer, None)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        assert interrupt.received == signal.SIGTERM and not trainer.should_stop
        with pytest.raises(TrainingStopped, match="stopped by SIGTERM at step 7") as stopped:
            interrupt.on_train_batch_end(trainer, None, None, None, 0)
        assert stopped.value.exit_code == 143
    finally:
        interrupt.on_exception(trainer, None, None)  # as Lightning calls it for the stop: handlers restored


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_resumes_bit_identical(signum):
    run = lit_gd_process("--trainer.max_epochs", "100000", "--step_logger.flush_every_n_steps", "10")
    deadline = time.monotonic() + 60
    while not list(Path("logs").glob("relu_regression/000-*/events.*")) or time.monotonic() < deadline - 55:
        assert time.monotonic() < deadline and run.poll() is None, "the run did not start"
        time.sleep(0.2)
    run.send_signal(signum)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 128 + signum
    assert "Traceback" not in stderr
    last = Path("logs/relu_regression/000-max_epochs=100000/checkpoints/last.ckpt")
    stopped = torch.load(last, weights_only=True)
    total = stopped["global_step"] + 25
    name = "Ctrl-C (SIGINT)" if signum == signal.SIGINT else "SIGTERM"
    said, _, command = stderr.strip().splitlines()[-1].partition("; to go on: ")
    assert said == f"lit-gd: stopped by {name} at step {stopped['global_step']}; last.ckpt is saved"
    assert command.endswith(
        f"--trainer.max_epochs 100000 --step_logger.flush_every_n_steps 10 --ckpt_path {last}"
    )

    # the command it printed, to a later end, then a run never stopped
    never_stopped = [
        "fit",
        "--config",
        "configs/relu_regression.yaml",
        "--config",
        "configs/presets/cpu.yaml",
    ]
    for args in (shlex.split(command)[1:], never_stopped):
        done = subprocess.run([LIT_GD, *args, "--trainer.max_epochs", str(total)], capture_output=True)
        assert done.returncode == 0, done.stderr[-3000:]
    finals = [
        torch.load(run / "checkpoints/last.ckpt", weights_only=True) for run in runs_of("relu_regression")[1:]
    ]
    assert {f["global_step"] for f in finals} == {total}
    for name, value in finals[0]["state_dict"].items():
        assert torch.equal(value, finals[1]["state_dict"][name]), name


@pytest.mark.slow
def test_two_runs_started_together_get_their_own_folders():
    runs = [lit_gd_process("--trainer.max_epochs", "20") for _ in range(2)]
    for process in runs:
        assert process.wait(timeout=120) == 0, process.stderr.read()
    folders = sorted(p.name for p in Path("logs/relu_regression").iterdir())
    assert folders == ["000-max_epochs=20", "001-max_epochs=20"]
    for folder in folders:
        assert Path("logs/relu_regression", folder, "checkpoints", "last.ckpt").is_file()
        assert len(list(Path("logs/relu_regression", folder).glob("events.*"))) == 1


@pytest.mark.slow
@pytest.mark.parametrize("example", ["relu_regression", "not_gate"])
def test_two_ddp_processes_equal_one(example):
    """Full batch on 2 processes (gloo): each takes half the points, DDP averages the gradients, and the
    parameters end as they do in one process."""
    command = [str(Path(sys.executable).with_name("lit-gd")), "fit", "--config", f"configs/{example}.yaml"]
    common = ["--trainer.max_epochs", "50", "--trainer.check_val_every_n_epoch", "10"]
    common += ["--trainer.enable_progress_bar", "false"]
    for preset in ("configs/presets/cpu.yaml", "configs/presets/ddp.yaml"):
        done = subprocess.run(
            [*command, "--config", preset, *common], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
    one, two = (
        torch.load(run / "checkpoints/last.ckpt", weights_only=True)["state_dict"] for run in runs_of(example)
    )
    for name, value in one.items():
        torch.testing.assert_close(two[name], value, rtol=1e-6, atol=1e-7)
    validation = [values(run, "val/loss")[-1] for run in runs_of(example)]
    assert validation[1] == pytest.approx(validation[0], rel=1e-6)  # synced over the two halves


def test_a_layer_stuck_in_a_run_resumed_mid_epoch_is_reported_from_its_first_step():
    """A run resumed mid-epoch gets no on_train_epoch_start: the monitor counts the epoch from the step the
    run starts at, then each epoch from the step after the one before ended."""
    model = TwoLayerReLU()
    with torch.no_grad():
        model.linear1.bias.fill_(-1e3)  # every hidden unit outputs 0 on every point: dead
    monitor = DeadReLUMonitor(patience=2, action="stop")
    trainer = SimpleNamespace(global_step=7, current_epoch=3, world_size=1)
    monitor.on_train_start(trainer, model)  # resumed at step 7, in the middle of epoch 3
    model(torch.rand(4, 2))
    monitor.on_train_epoch_end(trainer, model)
    trainer.global_step, trainer.current_epoch = 9, 4
    model(torch.rand(4, 2))
    with pytest.raises(TrainingStopped, match="since step 7"):
        monitor.on_train_epoch_end(trainer, model)


def test_a_monitor_without_its_kind_of_layer_skips_its_epoch_hooks():
    """The ReLU regression has a ReLU and no sigmoid, the NOT gate a sigmoid and no ReLU: each monitor
    checks the epochs of the model that has its layer, and only those."""
    from lightning.pytorch import Callback, Trainer

    from lit_gd import NotGate, NotGateData, ReLURegression, ReLURegressionData

    dead, saturation = DeadReLUMonitor(), SaturationMonitor()
    seen = []

    class Look(Callback):
        def on_train_epoch_start(self, trainer, pl_module) -> None:
            seen.append([callable(monitor.on_train_epoch_end) for monitor in (dead, saturation)])

    for model, data in ((ReLURegression(), ReLURegressionData()), (NotGate(), NotGateData())):
        trainer = Trainer(
            accelerator="cpu",
            max_epochs=1,
            callbacks=[dead, saturation, Look()],
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
        )
        trainer.fit(model, data)
    assert seen == [[True, False], [False, True]]


@pytest.mark.parametrize(
    ("outputs", "dead"),
    [
        ([[0.0], [0.0]], True),
        ([[0.0], [2.0]], False),
        ([[float("nan")], [0.0]], False),  # a diverged run (guard off) is not a dead one
        ([[float("nan")], [float("nan")]], False),
    ],
)
def test_a_relu_is_dead_where_its_outputs_are_all_zero(outputs, dead):
    monitor = DeadReLUMonitor()
    assert bool(monitor.passes_gradient(torch.tensor(outputs)).any()) is not dead
