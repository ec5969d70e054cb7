"""``lit_gd.fit``: ``lit-gd fit`` from Python, for a notebook cell. The run is built by the same LightningCLI
from the same flags, and what it leaves comes back: the trained module, its run folder, and every step's
logged values as numpy arrays, to plot or inspect in the next cell.

    import lit_gd
    run = lit_gd.fit("not_gate", lr=2, max_epochs=5)   # lit-gd fit --config configs/not_gate.yaml ...
    run.series["train/loss"], run.series["param/w"], run.series["grad/w"]
    run = lit_gd.fit("not_gate", optimizer="Adam", **{"optimizer.lr": 0.1, "model.w": 0})
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lit_gd import plots
from lit_gd.cli import CONFIGS, run_reported
from lit_gd.data import TensorDataModule
from lit_gd.errors import InputError
from lit_gd.examples import EXAMPLES
from lit_gd.module import GradientDescentExample


@dataclass(frozen=True)
class FitResult:
    """What a fit leaves: the trained module, its data, its run folder and what was logged at every step."""

    module: GradientDescentExample  # the trained LightningModule
    data: TensorDataModule  # its LightningDataModule, set up
    run_folder: Path | None  # logs/<example>/NNN-<what differs>: events, config.yaml, checkpoints/
    # each tag the step logger wrote (train/loss, param/w, grad/w, grad_norm/total) -> its value at every step
    series: dict[str, np.ndarray]
    metrics: dict[str, float]  # each epoch metric (val/loss, val/accuracy, train/mse) -> its last value

    def figures(self) -> plots.Figures:
        """The run's pictures by name, as TensorBoard's images tab shows them (matplotlib figures)."""
        inputs, targets = self.data.dataset.tensors
        return self.module.draw_figures(inputs, targets, self.series.__getitem__)


def fit(
    example: str | None = None,
    *,
    config: str | Path | list[str | Path] = (),
    lr: float | None = None,
    max_epochs: int | None = None,
    batch_size: int | str | None = None,
    **flags,
) -> FitResult:
    """Trains as ``lit-gd fit`` does, printing the same summary, and returns what the run left.

    Args:
        example: an example's name, ``"not_gate"``: its config ``configs/not_gate.yaml``, found in the working
            directory or else in lit_gd's own checkout (for a notebook in ``examples/``).
        config: configs to read after the example's (presets such as ``configs/presets/fast.yaml``), or
            instead of it.
        lr: ``--model.lr``.
        max_epochs: ``--trainer.max_epochs``.
        batch_size: ``--data.batch_size``: ``"full"`` or a number.
        flags: any other flag of ``lit-gd fit``, named without its dashes, its value as Python writes it:
            ``seed_everything=3``, ``optimizer="Adam"``, ``**{"optimizer.lr": 0.1, "model.bias": False}``.

    Raises:
        LitGdError: the one line ``lit-gd`` prints, for a bad value (``InputError``) or a run that had to stop
            (``TrainingStopped``).
    """
    configs = [config] if isinstance(config, (str, Path)) else list(config)
    if example is not None:
        configs.insert(0, example_config(example))
    named = {"model.lr": lr, "trainer.max_epochs": max_epochs, "data.batch_size": batch_size}
    flags = {**{flag: value for flag, value in named.items() if value is not None}, **flags}
    arguments = [word for path in configs for word in ("--config", str(path))]
    arguments += [word for flag, value in flags.items() for word in (f"--{flag}", flag_value(flag, value))]
    try:
        cli = run_reported(["fit", *arguments])  # raises the one line as a LitGdError, chain cut
    except SystemExit:  # --help or --print_config: jsonargparse printed, then stopped
        raise InputError(
            "lit-gd fit printed and stopped (--help, --print_config): nothing was trained"
        ) from None
    step_logger = cli.step_logger
    return FitResult(
        module=cli.model,
        data=cli.datamodule,
        run_folder=Path(cli.trainer.log_dir) if cli.trainer.logger else None,
        series={tag: step_logger.series(tag) for tag in step_logger.tags},
        metrics={name: value.item() for name, value in cli.trainer.callback_metrics.items()},
    )


def example_config(example: str) -> Path:
    """``configs/<example>.yaml`` in the working directory, or else in lit_gd's own checkout."""
    if example not in EXAMPLES:
        raise InputError(f"no example named {example!r}; choose one of {', '.join(EXAMPLES)}")
    places = [Path("configs"), CONFIGS]
    found = [place / f"{example}.yaml" for place in places if (place / f"{example}.yaml").is_file()]
    if not found:
        raise InputError(
            f"no configs/{example}.yaml in {Path.cwd()} or {CONFIGS.parent}: run from lit_gd's"
            f" checkout or give config='path/to/{example}.yaml'"
        )
    return found[0]


def flag_value(flag: str, value) -> str:
    """A Python value as the command line writes it: strings as they are, the rest as JSON (true, null)."""
    if isinstance(value, (str, Path)):
        return str(value)
    try:
        return json.dumps(value)
    except TypeError:
        raise InputError(
            f"{flag}={value!r}: give a number, a string, True or False, None, or a list or dict of them"
        ) from None
