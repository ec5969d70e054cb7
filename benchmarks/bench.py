"""Speed of lit_gd next to a plain PyTorch loop doing the same work, measured side by side in one run.

    make bench            (or: .venv/bin/python benchmarks/bench.py)

Prints one table: each measure, lit_gd's figure, the plain loop's, their ratio, and the goal from the speed
issue. lit_gd runs as ``lit-gd fit`` builds it: every callback, TensorBoard, checkpoints and the progress
bar. Rows marked "floor" run Lightning itself with nothing of lit_gd (a bare LightningModule and
``Trainer(barebones=True)``): no lit_gd run can be faster than that. Every timing is warmed up, repeated
and reported as a median. Nothing here is asserted: timings drift with the machine; the tests check numbers.
"""

import contextlib
import io
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

from lit_gd import ReLURegressionData, SyntheticRegressionData
from lit_gd.cli import run_cli
from lit_gd.data import BatchIndices

REPO = Path(__file__).resolve().parent.parent
REPEATS = 3
logging.getLogger("lightning").setLevel(logging.ERROR)
warnings.filterwarnings("ignore")


def median(run, repeats: int = REPEATS) -> float:
    """The median of ``run()``'s results (seconds) over ``repeats`` runs, after one to warm up."""
    run()
    return statistics.median(run() for _ in range(repeats))


class EpochTimer(Callback):
    """The seconds from the first training epoch's start to the last one's end: training throughput,
    without the one-off work before and after (the whole-process row measures that)."""

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.current_epoch == 0:
            self.start = time.perf_counter()

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.seconds = time.perf_counter() - self.start


def lit_gd_fit(config: str, flags: list[str]):
    """``lit-gd fit --config CONFIG FLAGS`` in a fresh folder; returns the seconds its epochs took."""

    def run() -> float:
        with (
            tempfile.TemporaryDirectory() as folder,
            contextlib.chdir(folder),
            contextlib.redirect_stderr(io.StringIO()),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            (Path(folder) / "configs").symlink_to(REPO / "configs")
            cli = run_cli(["--config", config, "--trainer.accelerator", "cpu", *flags], run=False)
            timer = EpochTimer()
            cli.trainer.callbacks.append(timer)
            cli.trainer.fit(cli.model, cli.datamodule)
            return timer.seconds

    return run


class BareModule(LightningModule):
    """Lightning's floor: a model, its loss and SGD, nothing logged."""

    def __init__(self, model: nn.Module, lr: float):
        super().__init__()
        self.model, self.lr = model, lr

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        inputs, targets = batch
        return nn.functional.mse_loss(self.model(inputs), targets)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def lightning_floor(model: nn.Module, tensors: tuple[Tensor, Tensor], batch_size: int | None, epochs: int):
    def run() -> float:
        indices = BatchIndices(len(tensors[0]), batch_size, shuffle=False)
        loader = DataLoader(TensorDataset(*tensors), sampler=indices, batch_size=None)  # whole slices
        timer = EpochTimer()
        trainer = Trainer(accelerator="cpu", max_epochs=epochs, barebones=True, callbacks=[timer])
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            trainer.fit(BareModule(model, 0.01), loader)
        return timer.seconds

    return run


def plain_loop(model: nn.Module, tensors: tuple[Tensor, Tensor], batch_size: int, epochs: int, lr: float):
    """The tutorials' loop: zero the gradients, forward, loss, backward, step, over slices of the tensors."""

    def run() -> float:
        inputs, targets = tensors
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        start = time.perf_counter()
        for _ in range(epochs):
            for first in range(0, len(inputs), batch_size):
                optimizer.zero_grad()
                batch = slice(first, first + batch_size)
                nn.functional.mse_loss(model(inputs[batch]), targets[batch]).backward()
                optimizer.step()
        return time.perf_counter() - start

    return run


class ReLUNeuron(nn.Module):
    """Tutorial 001's model: relu(x @ W + b)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(self.linear(x))


def process(command: list[str]):
    def run() -> float:
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "configs").symlink_to(REPO / "configs")
            start = time.perf_counter()
            subprocess.run(command, cwd=folder, check=True, capture_output=True)
            return time.perf_counter() - start

    return run


def resident_full_batch(device: torch.device, samples: int, features: int, steps: int) -> tuple[float, float]:
    """Seconds per full-batch step of lit-gd's synthetic regression resident on ``device``, and the seconds
    to read the data from device memory as often as a step must: the forward pass reads the inputs once,
    the weight gradient once more. The memory's bandwidth is measured here with a device-to-device copy."""
    synchronize = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    inputs = torch.empty(samples, features, device=device)
    copy = torch.empty_like(inputs)
    for _ in range(3):
        copy.copy_(inputs)
    synchronize()
    start = time.perf_counter()
    for _ in range(10):
        copy.copy_(inputs)  # reads and writes the whole tensor
    synchronize()
    bandwidth = 2 * inputs.nbytes * 10 / (time.perf_counter() - start)
    del inputs, copy
    flags = [
        "--data.samples", str(samples), "--data.features", str(features), "--data.val_fraction", "0",
        "--trainer.accelerator", "gpu" if device.type == "cuda" else "cpu",
        "--trainer.max_epochs", str(steps), "--trainer.limit_val_batches", "0",
    ]  # fmt: skip
    seconds = median(lit_gd_fit("configs/synthetic_regression.yaml", flags), 1) / steps
    return seconds, 2 * samples * features * 4 / bandwidth


def main() -> None:
    torch.manual_seed(0)
    rows = []

    def row(measure: str, ours: float, reference: float, unit: str, goal: str):
        ratio = ours / reference
        rows.append((measure, f"{ours:,.1f} {unit}", f"{reference:,.1f} {unit}", f"{ratio:.2f}x", goal))
        print(f"  {measure}: {ratio:.2f}x", file=sys.stderr, flush=True)

    # Tiny full-batch ReLU regression (tutorial 001): 1000 one-step epochs, everything lit-gd logs.
    steps = 1000
    tiny = ReLURegressionData().make_tensors()
    plain = median(plain_loop(ReLUNeuron(), tiny, 4, steps, 0.01)) / steps * 1e6
    ours = (
        median(lit_gd_fit("configs/relu_regression.yaml", ["--trainer.max_epochs", str(steps)])) / steps * 1e6
    )
    row("tiny step: lit-gd fit, all its defaults (us)", ours, plain, "us", "<= 3x")
    scope = [  # what the goal names: the step scalars and the bar, without lit-gd's other defaults
        "--trainer.max_epochs", str(steps), "--trainer.limit_val_batches", "0",
        "--histograms.every_n_steps", "0", "--figures.enabled", "false", "--log_graph", "false",
        "--checkpoint.save_top_k", "0", "--last_checkpoint.save_last", "false",
    ]  # fmt: skip
    ours = median(lit_gd_fit("configs/relu_regression.yaml", scope)) / steps * 1e6
    row("  step scalars and bar only (us)", ours, plain, "us", "<= 3x")
    floor = median(lightning_floor(ReLUNeuron(), tiny, None, steps)) / steps * 1e6
    row("  floor: Lightning alone, barebones (us)", floor, plain, "us", "")

    # 1,000,000 x 16 linear regression, batches sliced in order, no validation: samples per second.
    samples = 1_000_000
    data = SyntheticRegressionData(samples=samples, features=16).make_tensors()
    for batch_size, epochs, goal in ((1024, 2, ">= 0.6x"), (8192, 4, ">= 0.9x"), (samples, 60, ">= 0.95x")):
        name = "full batch" if batch_size == samples else f"batch {batch_size}"
        work = samples * epochs / 1e6
        plain = work / median(plain_loop(nn.Linear(16, 1), data, batch_size, epochs, 0.1))
        flags = [
            "--data.samples", str(samples), "--data.val_fraction", "0", "--trainer.limit_val_batches", "0",
            "--data.batch_size", "full" if batch_size == samples else str(batch_size),
            "--trainer.max_epochs", str(epochs),
        ]  # fmt: skip
        ours = work / median(lit_gd_fit("configs/synthetic_regression.yaml", flags))
        row(f"1M x 16, {name}: lit-gd fit (M samples/s)", ours, plain, "M/s", goal)
        floor = work / median(lightning_floor(nn.Linear(16, 1), data, batch_size, epochs))
        row(f"  floor: Lightning alone, {name} (M/s)", floor, plain, "M/s", "")

    lit_gd = str(Path(sys.executable).with_name("lit-gd"))
    import_only = median(process([sys.executable, "-c", "from lightning.pytorch.cli import LightningCLI"]), 2)
    command = [lit_gd, "fit", "--config", "configs/linear_regression.yaml", "--trainer.accelerator", "cpu"]
    whole = median(process(command), 2)
    rows.append(
        (
            "whole `lit-gd fit` of the default example (s)",
            f"{whole:.2f} s",
            f"{import_only:.2f} s (import only)",
            f"+{whole - import_only:.2f} s",
            "<= +2 s",
        )
    )

    if torch.cuda.is_available():
        step, read = resident_full_batch(torch.device("cuda"), 10_000_000, 64, 20)
        row("GPU 10M x 64 full-batch step vs reading the data (ms)", step * 1e3, read * 1e3, "ms", "<= 2x")
    else:
        rows.append(("GPU 10M x 64 full-batch step vs reading the data", "no GPU", "-", "-", "<= 2x"))

    header = ("measure", "lit_gd", "plain loop", "ratio", "goal")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    load = os.getloadavg()[0]
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    threads = torch.get_num_threads()
    print(f"machine: {os.cpu_count()} CPUs, torch {torch.__version__} ({threads} threads), GPU: {gpu}")
    print(f"load average at the end: {load:.2f}")
    for line in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))


if __name__ == "__main__":
    main()
