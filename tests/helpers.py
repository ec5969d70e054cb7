"""Helpers for the tests: run the CLI in-process and read what TensorBoard recorded."""

import os
import shlex
from pathlib import Path

import pytest
from lightning.pytorch import Callback, Trainer
from lightning.pytorch.loggers import TensorBoardLogger
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from lit_gd.callbacks import StepLogger
from lit_gd.cli import main
from lit_gd.runs import runs_of

REPO = Path(__file__).resolve().parent.parent
CONFIGS = sorted(p.stem for p in (REPO / "configs").glob("*.yaml"))  # configs/<name>.yaml
QUIET_CPU = ["--config", "configs/presets/cpu.yaml", "--trainer.enable_progress_bar", "false"]


def lit_gd(command: str) -> None:
    """Runs ``lit-gd COMMAND`` in-process, pinned to the CPU and without a progress bar."""
    main(shlex.split(command) + QUIET_CPU)


def lit_gd_fails(command: str, capsys) -> tuple[int, str]:
    """Runs ``lit-gd COMMAND``, which must fail: its exit status and the last line it printed on stderr,
    having checked that no traceback came with it."""
    with pytest.raises(SystemExit) as exit_info:
        lit_gd(command)
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    return exit_info.value.code, stderr.strip().splitlines()[-1]


def fit_cli(example: str, flags: str = "") -> Path:
    """``lit-gd fit --config configs/<example>.yaml FLAGS``; returns the run's log folder."""
    lit_gd(f"fit --config configs/{example}.yaml {flags}")
    return latest_run(example)


def latest_run(example: str) -> Path:
    return runs_of(example)[-1]


def latest_evaluation(example: str) -> Path:
    """The newest folder of a validate, test or predict run without a checkpoint."""
    return max(Path("logs", example, "evaluations").iterdir())


def run_folder(example: str, number: int) -> Path:
    """The example's fit run of that number: ``logs/<example>/003-...`` for 3."""
    (folder,) = Path("logs", example).glob(f"{number:03d}-*")
    return folder


def fit_trainer(model, datamodule, steps: int, tmp_path: Path) -> Path:
    """Trains with a plain Trainer (no CLI) on the CPU for ``steps`` one-batch epochs."""
    logger = TensorBoardLogger(tmp_path / "logs", name="trainer", default_hp_metric=False)
    trainer = Trainer(
        accelerator="cpu",
        max_epochs=steps,
        logger=logger,
        callbacks=[StepLogger()],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=1,
        limit_val_batches=0,
    )
    trainer.fit(model, datamodule)
    return Path(logger.log_dir)


def scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar series of a run, as (step, value) pairs."""
    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def values(run_dir: Path, tag: str) -> list[float]:
    return [value for _, value in scalars(run_dir)[tag]]


class SignalAtStep(Callback):
    """Sends this process ``signum`` as step ``step`` ends, as a user's Ctrl-C or ``kill`` would arrive:
    ``--trainer.callbacks tests.helpers.SignalAtStep --trainer.callbacks.step 5``."""

    def __init__(self, step: int, signum: int = 2):  # SIGINT
        self.step, self.signum = step, signum

    def on_train_batch_end(self, trainer: Trainer, *args) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), self.signum)
