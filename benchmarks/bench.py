"""Speed of lit_gd next to a plain PyTorch loop doing the same work, measured side by side in one run.

    make bench            (or: .venv/bin/python benchmarks/bench.py)

Prints one table: each measure, lit_gd's figure, the plain loop's, their ratio, and the goal from the speed
issue. lit_gd runs as ``lit-gd fit`` builds it on a terminal: every callback, TensorBoard, checkpoints and the
progress bar (drawn into a buffer). Rows marked "frontier" run Lightning itself with nothing of lit_gd, in the
quickest way measured here: all the steps as one epoch over batches handed over ready, each step drawing its
own batch (``training_step(dataloader_iter)``), stepping SGD by hand (manual optimization), and lit_gd's
``NullProfiler`` in place of Lightning's default (the same no-op, made cheaper to enter). "nothing logged" is
that step with what ``Trainer(barebones=True)`` turns off turned off (barebones itself refuses a profiler);
"same scalars" also writes, at every step, the scalars lit-gd logs (the loss, each parameter element and its
gradient for models of at most 16 elements, the gradient norms) to TensorBoard through Lightning's
``TensorBoardLogger.log_metrics``. Where the batch is the whole data set, each of lit-gd's steps is an epoch
(the tutorials' epochs): "an epoch per pass" is Lightning alone with nothing logged, run so, the quickest
Lightning with lit-gd's epochs. In this process both write TensorBoard's events with lit_gd's C checksum
(``lit_gd.checksum``), the same bytes. Each measure's rows are timed together with its plain loop: one run of
each to warm up, then nine rounds (full batch: fifteen; the whole process: five) that run every one in turn,
so that a load coming and going on the machine weighs on all alike; the table gives the medians, their ratio,
and the range of the rounds' own ratios (each row's run over the plain loop's of the same round). On a shared
2-core machine one round's ratio can move by a tenth either way (the range shows how far it did): the median
of nine rounds is steadier than that of five, and full batch, which moves the most, gets fifteen. Nothing
here is asserted: timings drift with the machine; the tests check numbers.
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
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.loggers import TensorBoardLogger
from torch import Tensor, nn

from lit_gd import ReLURegressionData, SyntheticRegressionData, cli
from lit_gd.profiler import NullProfiler

REPO = Path(__file__).resolve().parent.parent
ROUNDS = 9
# A full-batch step reads 64 MB: its rounds move the most with the machine's memory traffic (0.75-0.99x)
FULL_BATCH_ROUNDS = 15
logging.getLogger("lightning").setLevel(logging.ERROR)
warnings.filterwarnings("ignore")


def interleaved_rounds(runs: dict[str, Callable[[], float]], rounds: int = ROUNDS) -> dict[str, list[float]]:
    """Each run's results (seconds), one a round, over ``rounds`` rounds that run every one in turn, after
    one of each to warm up: a load that comes and goes on the machine weighs on all of them alike."""
    for run in runs.values():
        run()
    results: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            results[name].append(run())
    return results


class EpochTimer(Callback):
    """The seconds from the first training epoch's start to the last one's end: training throughput,
    without the one-off work before and after (the whole-process row measures that)."""

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.current_epoch == 0:
            self.start = time.perf_counter()

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.seconds = time.perf_counter() - self.start


def lit_gd_fit(config: str, flags: list[str]):
    """``lit-gd fit --config CONFIG FLAGS`` in a fresh folder, its bar drawn as on a terminal; returns the
    seconds its epochs took."""

    def run() -> float:
        with (
            tempfile.TemporaryDirectory() as folder,
            contextlib.chdir(folder),
            contextlib.redirect_stderr(io.StringIO()),
            contextlib.redirect_stdout(io.StringIO()),
            mock.patch.object(cli, "stderr_is_a_terminal", return_value=True),
        ):
            (Path(folder) / "configs").symlink_to(REPO / "configs")
            run = cli.run_cli(["--config", config, "--trainer.accelerator", "cpu", *flags], run=False)
            timer = EpochTimer()
            run.trainer.callbacks.append(timer)
            run.trainer.fit(run.model, run.datamodule)
            return timer.seconds

    return run


def step_scalars(loss: Tensor, params: list[tuple[str, Tensor]]) -> dict[str, Tensor]:
    """What lit-gd logs of a step, by its tags: the loss, each parameter element and its gradient (models
    of at most 16 elements), each parameter's gradient norm and their total."""
    scalars = {"train/loss": loss.detach()}
    if sum(param.numel() for _, param in params) <= 16:
        for kind in ("param", "grad"):
            for name, param in params:
                values = (param if kind == "param" else param.grad).detach().reshape(-1)
                scalars |= {f"{kind}/{name}.{i}": value for i, value in enumerate(values)}
    norms = {f"grad_norm/{name}": torch.linalg.vector_norm(param.grad) for name, param in params}
    return scalars | norms | {"grad_norm/total": torch.linalg.vector_norm(torch.stack(list(norms.values())))}


class FrontierModule(LightningModule):
    """A model, its loss and SGD: each step draws its batch and steps by hand. With a logger, each step
    writes ``step_scalars`` through Lightning's ``log_metrics``."""

    def __init__(self, model: nn.Module, lr: float):
        super().__init__()
        self.model, self.lr = model, lr
        self.automatic_optimization = False
        self.named_params = list(model.named_parameters())

    def training_step(self, dataloader_iter) -> None:
        (inputs, targets), _, _ = next(dataloader_iter)
        optimizer = self.optimizers()
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(self.model(inputs), targets)
        self.manual_backward(loss)
        if self.logger is not None:
            self.logger.log_metrics(step_scalars(loss, self.named_params), self.global_step)
        optimizer.step()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.model.parameters(), lr=self.lr)


class ReadyBatches:
    """Batches made before training, handed to Lightning as one iterable (a plain list would be taken for
    a list of data loaders)."""

    def __init__(self, batches: list[tuple[Tensor, Tensor]]):
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


def lightning_frontier(
    model: nn.Module,
    tensors: tuple[Tensor, Tensor],
    batch_size: int | None,
    epochs: int,
    logged: bool,
    epoch_per_pass: bool = False,
):
    """Lightning alone: ``epochs`` passes over slices of the tensors in order, as one epoch, or as an epoch
    each (``epoch_per_pass``: what lit-gd does, its epochs being the tutorials')."""

    def run() -> float:
        inputs, targets = tensors
        size = batch_size or len(inputs)
        passes = 1 if epoch_per_pass else epochs
        batches = ReadyBatches(
            [
                (inputs[i : i + size], targets[i : i + size])
                for _ in range(passes)
                for i in range(0, len(inputs), size)
            ]
        )
        timer = EpochTimer()
        with (
            tempfile.TemporaryDirectory() as folder,
            contextlib.redirect_stderr(io.StringIO()),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            # what Trainer(barebones=True) turns off, with lit-gd's profiler (barebones refuses any profiler)
            settings = {
                "enable_checkpointing": False,
                "enable_model_summary": False,
                "enable_progress_bar": False,
            }
            if logged:
                logger = TensorBoardLogger(folder, default_hp_metric=False)
                logger.experiment  # its event file made before training, as lit-gd's is  # noqa: B018
                settings["logger"] = logger
            else:
                settings |= {"logger": False, "log_every_n_steps": 0, "num_sanity_val_steps": 0}
            trainer = Trainer(
                accelerator="cpu",
                max_epochs=epochs // passes,
                callbacks=[timer],
                profiler=NullProfiler(),
                **settings,
            )
            trainer.fit(FrontierModule(model, 0.01), batches)
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
    fit = lit_gd_fit("configs/synthetic_regression.yaml", flags)
    (seconds,) = interleaved_rounds({"fit": fit}, rounds=1)["fit"]
    seconds /= steps
    return seconds, 2 * samples * features * 4 / bandwidth


def main() -> None:
    torch.manual_seed(0)
    rows = []

    def row(measure: str, ours: list[float], reference: list[float], unit: str, goal: str):
        """A row from the rounds' figures of lit_gd (or Lightning) and of the plain loop, paired by round."""
        ours_median, reference_median = statistics.median(ours), statistics.median(reference)
        ratio = ours_median / reference_median
        ratios = [a / b for a, b in zip(ours, reference, strict=True)]
        spread = f"{min(ratios):.2f}-{max(ratios):.2f}x" if len(ratios) > 1 else "-"
        cells = (f"{ours_median:,.1f} {unit}", f"{reference_median:,.1f} {unit}", f"{ratio:.2f}x", spread)
        rows.append((measure, *cells, goal))
        print(f"  {measure}: {ratio:.2f}x", file=sys.stderr, flush=True)

    def timed_together(
        measures: list[tuple[str, Callable[[], float], str]], plain_run, per, unit: str, rounds: int = ROUNDS
    ):
        """A row for each (measure, run, goal), each figure ``per(seconds)``, timed in the same rounds as
        the plain loop it is compared with."""
        runs = {"plain loop": plain_run} | {name: run for name, run, _ in measures}
        seconds = interleaved_rounds(runs, rounds)
        reference = [per(s) for s in seconds["plain loop"]]
        for name, _, goal in measures:
            row(name, [per(s) for s in seconds[name]], reference, unit, goal)

    def frontier(name: str, model: Callable[[], nn.Module], tensors, batch_size: int | None, epochs: int):
        """The frontier measures, each on a model of its own; for a full batch, where each of lit-gd's steps
        is an epoch, also Lightning alone with nothing logged and an epoch per pass."""
        kinds = [(True, "same scalars", False), (False, "nothing logged", False)]
        if batch_size is None or batch_size >= len(tensors[0]):
            kinds.append((False, "nothing logged, an epoch per pass", True))
        return [
            (
                f"  frontier: Lightning alone, {what}{name}",
                lightning_frontier(model(), tensors, batch_size, epochs, logged, epoch_per_pass),
                "",
            )
            for logged, what, epoch_per_pass in kinds
        ]

    # Tiny full-batch ReLU regression (tutorial 001): 1000 one-step epochs, everything lit-gd logs.
    steps = 1000
    tiny = ReLURegressionData().make_tensors()
    scope = [  # what the goal names: the step scalars and the bar, without lit-gd's other defaults
        "--trainer.max_epochs", str(steps), "--trainer.limit_val_batches", "0",
        "--histograms.every_n_steps", "0", "--figures.enabled", "false", "--log_graph", "false",
        "--checkpoint.save_top_k", "0", "--last_checkpoint.save_last", "false",
    ]  # fmt: skip
    timed_together(
        [
            ("tiny step: lit-gd fit, all its defaults (us)",
             lit_gd_fit("configs/relu_regression.yaml", ["--trainer.max_epochs", str(steps)]), "<= 3.5x"),
            ("  step scalars and bar only (us)", lit_gd_fit("configs/relu_regression.yaml", scope), "<= 3x"),
            *frontier(" (us)", ReLUNeuron, tiny, None, steps),
        ],
        plain_loop(ReLUNeuron(), tiny, 4, steps, 0.01),
        lambda seconds: seconds / steps * 1e6,
        "us",
    )  # fmt: skip

    # 1,000,000 x 16 linear regression, batches sliced in order, no validation: samples per second.
    samples = 1_000_000
    data = SyntheticRegressionData(samples=samples, features=16).make_tensors()
    for batch_size, epochs, goal in ((1024, 2, ">= 0.3x"), (8192, 4, ">= 0.4x"), (samples, 60, ">= 0.9x")):
        name = "full batch" if batch_size == samples else f"batch {batch_size}"
        flags = [
            "--data.samples", str(samples), "--data.val_fraction", "0", "--trainer.limit_val_batches", "0",
            "--data.batch_size", "full" if batch_size == samples else str(batch_size),
            "--trainer.max_epochs", str(epochs),
        ]  # fmt: skip
        timed_together(
            [
                (f"1M x 16, {name}: lit-gd fit (M samples/s)",
                 lit_gd_fit("configs/synthetic_regression.yaml", flags), goal),
                *frontier(f", {name} (M/s)", lambda: nn.Linear(16, 1), data, batch_size, epochs),
            ],
            plain_loop(nn.Linear(16, 1), data, batch_size, epochs, 0.1),
            lambda seconds, epochs=epochs: samples * epochs / 1e6 / seconds,
            "M/s",
            FULL_BATCH_ROUNDS if batch_size == samples else ROUNDS,
        )  # fmt: skip

    lit_gd = str(Path(sys.executable).with_name("lit-gd"))
    command = [lit_gd, "fit", "--config", "configs/linear_regression.yaml", "--trainer.accelerator", "cpu"]
    # The floor freezes its heap for the garbage collector, as lit-gd's console script does (lit_gd.cli.main):
    # otherwise its exit walks some 400,000 objects that lit-gd's does not, and the row would count that
    floor = "from lightning.pytorch.cli import LightningCLI; import gc; gc.freeze()"
    seconds = interleaved_rounds(
        {
            "import": process([sys.executable, "-c", floor]),
            "fit": process(command),
        },
        rounds=5,
    )
    over = [fit - floor for fit, floor in zip(seconds["fit"], seconds["import"], strict=True)]
    fit, floor = statistics.median(seconds["fit"]), statistics.median(seconds["import"])
    rows.append(
        (
            "whole `lit-gd fit` of the default example (s)",
            f"{fit:.2f} s",
            f"{floor:.2f} s (import only)",
            f"{fit - floor:+.2f} s",
            f"{min(over):+.2f} to {max(over):+.2f} s",
            "<= +1.0 s",
        )
    )

    if torch.cuda.is_available():
        step, read = resident_full_batch(torch.device("cuda"), 10_000_000, 64, 20)
        measure = "GPU 10M x 64 full-batch step vs reading the data (ms)"
        row(measure, [step * 1e3], [read * 1e3], "ms", "<= 2x")
    else:
        rows.append(("GPU 10M x 64 full-batch step vs reading the data", "no GPU", "-", "-", "-", "<= 2x"))

    header = ("measure", "lit_gd", "plain loop", "ratio", "rounds", "goal")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    load = os.getloadavg()[0]
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    threads = torch.get_num_threads()
    print(f"machine: {os.cpu_count()} CPUs, torch {torch.__version__} ({threads} threads), GPU: {gpu}")
    print(f"load average at the end: {load:.2f}")
    for line in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))


if __name__ == "__main__":
    main()
