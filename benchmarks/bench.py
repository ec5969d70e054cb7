"""Speed of lit_gd next to a plain PyTorch loop doing the same work, measured side by side in one run.

    make bench            (or: .venv/bin/python benchmarks/bench.py)

Prints one table: each measure, lit_gd's figure, the plain loop's, their ratio, and the goal from the speed
issue. Every timing is warmed up, repeated, and reported as a median. Nothing here is asserted: timings
drift with the machine, so the tests check numbers, and this only reports.
"""

import contextlib
import io
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import Tensor, nn

from lit_gd import ReLURegressionData
from lit_gd.base import GradientDescentExample, TensorDataModule
from lit_gd.cli import run_cli

REPO = Path(__file__).resolve().parent.parent
REPEATS = 3
logging.getLogger("lightning").setLevel(logging.ERROR)


def median_time(run, repeats: int = REPEATS) -> float:
    run()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def quietly(function):
    def run():
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            return function()

    return run


# --- tiny full-batch ReLU regression, 1000 one-step epochs --------------------------------------------


def plain_relu_regression(steps: int = 1000) -> None:
    inputs, targets = ReLURegressionData().make_tensors()
    weight, bias = torch.rand(2, 1, requires_grad=True), torch.rand(1, requires_grad=True)
    optimizer = torch.optim.SGD([weight, bias], lr=0.01)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.mse_loss(torch.relu(inputs @ weight + bias), targets).backward()
        optimizer.step()


def lit_gd_fit(flags: list[str]):
    """``lit-gd fit`` as the CLI builds it (callbacks, logger, checkpoints, bar), timing trainer.fit only."""

    def run() -> None:
        with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
            (Path(folder) / "configs").symlink_to(REPO / "configs")
            cli = run_cli(
                ["--config", "configs/relu_regression.yaml", "--trainer.accelerator", "cpu", *flags],
                run=False,
            )
            cli.trainer.fit(cli.model, cli.datamodule)

    return run


# --- 1,000,000 x 16 linear regression, mini-batches --------------------------------------------------

SAMPLES, FEATURES = 1_000_000, 16


def synthetic() -> tuple[Tensor, Tensor]:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(SAMPLES, FEATURES, generator=generator)
    return inputs, inputs @ torch.randn(FEATURES, 1, generator=generator) + 0.1


class LinearModel(GradientDescentExample):
    def __init__(self, lr: float = 0.01, in_features: int = FEATURES):
        super().__init__(lr, in_features)
        self.criterion = nn.MSELoss()
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x)


class SyntheticData(TensorDataModule):
    tensors = None

    def make_tensors(self) -> tuple[Tensor, Tensor]:
        return SyntheticData.tensors


def plain_mini_batches(batch_size: int):
    inputs, targets = SyntheticData.tensors
    order = torch.randperm(SAMPLES)
    inputs, targets = inputs[order], targets[order]  # shuffled once, then sliced

    def run() -> None:
        model = nn.Linear(FEATURES, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        for start in range(0, SAMPLES, batch_size):
            optimizer.zero_grad()
            nn.functional.mse_loss(
                model(inputs[start : start + batch_size]), targets[start : start + batch_size]
            ).backward()
            optimizer.step()

    return run


def lit_gd_mini_batches(batch_size: int | str):
    from lightning.pytorch import Trainer
    from lightning.pytorch.loggers import TensorBoardLogger

    from lit_gd.callbacks import StepLogger

    def run() -> None:
        with tempfile.TemporaryDirectory() as folder:
            trainer = Trainer(
                accelerator="cpu",
                max_epochs=1,
                logger=TensorBoardLogger(folder),
                callbacks=[StepLogger()],
                log_every_n_steps=1,
                limit_val_batches=0,
                enable_checkpointing=False,
                enable_model_summary=False,
                use_distributed_sampler=False,
            )
            shuffle = batch_size != "full"  # as the plain loop: shuffled once, or the whole set in order
            trainer.fit(LinearModel(), SyntheticData(batch_size=batch_size, shuffle=shuffle))

    return run


# --- whole process ------------------------------------------------------------------------------------


def process(command: list[str]):
    def run() -> None:
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "configs").symlink_to(REPO / "configs")
            subprocess.run(command, cwd=folder, check=True, capture_output=True)

    return run


def main() -> None:
    rows = []

    def row(measure: str, ours: float, reference: float, unit: str, goal: str):
        ratio = ours / reference  # a time: lower is better; a throughput: higher is better
        rows.append((measure, f"{ours:,.1f} {unit}", f"{reference:,.1f} {unit}", f"{ratio:.2f}x", goal))
        print(f"  {measure}: {ratio:.2f}x", file=sys.stderr)

    steps = 1000
    plain = median_time(plain_relu_regression) / steps * 1e6
    full = median_time(quietly(lit_gd_fit(["--trainer.max_epochs", str(steps)]))) / steps * 1e6
    row("tiny step, everything logged, bar (us/step)", full, plain, "us", "<= 3x")
    bare_flags = [
        "--trainer.max_epochs",
        str(steps),
        "--trainer.logger",
        "false",
        "--trainer.enable_progress_bar",
        "false",
        "--last_checkpoint.save_last",
        "false",
        "--checkpoint.save_top_k",
        "0",
        "--histograms.every_n_steps",
        "0",
        "--figures.enabled",
        "false",
        "--divergence.enabled",
        "false",
        "--trainer.check_val_every_n_epoch",
        str(steps * 10),
    ]
    bare = median_time(quietly(lit_gd_fit(bare_flags))) / steps * 1e6
    row("  of which: Lightning with nothing logged", bare, plain, "us", "(breakdown)")

    SyntheticData.tensors = synthetic()
    for batch_size in (1024, 8192, SAMPLES):
        reference = SAMPLES / median_time(plain_mini_batches(batch_size)) / 1e6
        ours = (
            SAMPLES
            / median_time(quietly(lit_gd_mini_batches("full" if batch_size == SAMPLES else batch_size)))
            / 1e6
        )
        name = "full batch" if batch_size == SAMPLES else f"batch {batch_size}"
        goal = {1024: ">= 0.6x", 8192: ">= 0.9x", SAMPLES: ">= 0.95x"}[batch_size]
        row(f"1M x 16 regression, {name} (M samples/s)", ours, reference, "M/s", goal)

    lit_gd = str(Path(sys.executable).with_name("lit-gd"))
    import_only = median_time(
        process([sys.executable, "-c", "from lightning.pytorch.cli import LightningCLI"]), 2
    )
    whole = median_time(
        process(
            [lit_gd, "fit", "--config", "configs/linear_regression.yaml", "--trainer.accelerator", "cpu"]
        ),
        2,
    )
    rows.append(
        (
            "whole `lit-gd fit` of the default example (s)",
            f"{whole:.2f} s",
            f"{import_only:.2f} s",
            f"+{whole - import_only:.2f} s",
            "<= +2 s",
        )
    )
    rows.append(
        (
            "GPU full batch 10M x 64 vs copy bandwidth",
            "not run",
            "not run",
            "-",
            "<= 2x" if not torch.cuda.is_available() else "see below",
        )
    )

    header = ("measure", "lit_gd", "plain loop", "ratio", "goal")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    print(
        f"machine: {torch.get_num_threads()} CPU threads, torch {torch.__version__}, "
        f"GPU: {'yes' if torch.cuda.is_available() else 'none'}"
    )
    for line in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))


if __name__ == "__main__":
    main()
