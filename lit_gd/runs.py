"""Where runs live and what is said of them: run folders under logs/, the checkpoint ``--ckpt_path last``
means, the checks a checkpoint passes before it is read, and the summary printed when fit ends."""

import os
import shutil
import sys
from pathlib import Path

import numpy
import torch
from lightning.pytorch import Trainer
from torch import Tensor

from lit_gd.errors import InputError
from lit_gd.examples import example_name
from lit_gd.module import GradientDescentExample

LOG_DIR = "logs"
RUN_VERSION = "LIT_GD_RUN_VERSION"  # the run folder's number, for the processes Lightning launches for it


def claim_run_folder(example: str) -> int:
    """The next free ``version_N`` under ``logs/<example>``, created here so that no other run, even one
    started at the same moment, can take it. Processes that Lightning launches for the same run (DDP)
    inherit the number through the environment instead of claiming their own."""
    if int(os.environ.get("LOCAL_RANK", 0)) > 0 and RUN_VERSION in os.environ:
        return int(os.environ[RUN_VERSION])
    example_dir = Path(LOG_DIR, example)
    example_dir.mkdir(parents=True, exist_ok=True)
    number = max(map(version, runs_of(example)), default=-1) + 1
    while True:
        try:
            (example_dir / f"version_{number}").mkdir()
        except FileExistsError:
            number += 1
            continue
        os.environ[RUN_VERSION] = str(number)
        return number


def version(run: Path) -> int:
    return int(run.name.removeprefix("version_"))


def runs_of(example: str) -> list[Path]:
    """The run folders of an example, oldest first."""
    runs = Path(LOG_DIR, example).glob("version_*")
    return sorted((run for run in runs if run.name[8:].isdigit()), key=version)


def newest_checkpoint(example: str) -> Path:
    """``--ckpt_path last``: the newest checkpoint of the example's newest run, never an older run's."""
    runs = runs_of(example)
    saved = [run for run in runs if list(run.glob("checkpoints/*.ckpt"))]
    if not saved:
        raise InputError(
            f"--ckpt_path last: no earlier run of {example} has a checkpoint under {LOG_DIR}/{example}/"
        )
    if saved[-1] != runs[-1]:
        older = max(saved[-1].glob("checkpoints/*.ckpt"), key=lambda path: path.stat().st_mtime)
        raise InputError(
            f"--ckpt_path last: the newest run of {example}, {runs[-1]}, left no checkpoint; the newest that"
            f" did is {older}: give it as --ckpt_path {older}"
        )
    return max(runs[-1].glob("checkpoints/*.ckpt"), key=lambda path: path.stat().st_mtime)


def read_checkpoint(path: str | Path, resumable: bool) -> dict:
    """A checkpoint that Lightning wrote, loaded as tensors and plain data (``weights_only``: nothing in it
    runs); ``resumable``: one that training can go on from, not only its weights."""
    if not Path(path).is_file():
        raise InputError(
            f"--ckpt_path {path}: no such file (or 'last' for the newest run's newest checkpoint)"
        )
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        reason = " ".join(str(error).split())[:160]
        raise InputError(
            f"--ckpt_path {path} is not a checkpoint lit-gd can read safely ({reason})"
        ) from None
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise InputError(f"--ckpt_path {path} is not a Lightning checkpoint (it holds no state_dict)")
    if "pytorch-lightning_version" not in checkpoint:
        raise InputError(
            f"--ckpt_path {path} holds a state_dict but is not a checkpoint Lightning wrote (no version,"
            " step or hyperparameters): give one from logs/<example>/*/checkpoints/"
        )
    if resumable and not {"optimizer_states", "loops"} <= checkpoint.keys():
        raise InputError(
            f"--ckpt_path {path} holds only the model's weights (as last-good.ckpt does): validate, test and"
            " predict can use it, but fit cannot resume from it"
        )
    return checkpoint


def check_checkpoint_fits(path: str | Path, checkpoint: dict, model: GradientDescentExample) -> None:
    """The checkpoint's parameters have the names and shapes of the model asked for (the states of its
    train/val/test metrics aside: they hold no parameters)."""
    state = checkpoint["state_dict"].items()
    theirs = {key: tuple(value.shape) for key, value in state if not key.split(".")[0].endswith("_metrics")}
    ours = {key: tuple(value.shape) for key, value in model.named_parameters()}
    name = type(model).__name__
    if theirs.keys() != ours.keys():
        missing, unexpected = sorted(ours.keys() - theirs.keys()), sorted(theirs.keys() - ours.keys())
        raise InputError(
            f"--ckpt_path {path} does not hold the parameters of the {name} asked for: it lacks"
            f" {', '.join(missing) or 'none'} and has {', '.join(unexpected) or 'none'} besides"
        )
    for key, shape in ours.items():
        if theirs[key] != shape:
            raise InputError(
                f"--ckpt_path {path}: {key} has shape {theirs[key]} there but {shape} in the {name} asked for"
                f" (in_features {model.in_features} from the data): the checkpoint was trained on other data"
                " or settings"
            )


def fit_summary(trainer: Trainer, model: GradientDescentExample) -> str:
    lines = [f"{example_name(type(model))}: {trainer.global_step} steps"]
    if model.last_loss is not None:
        lines.append(f"  final loss {model.last_loss.item():.8g}")
    validation = {name: value for name, value in trainer.callback_metrics.items() if name.startswith("val/")}
    if validation:
        lines.append(
            "  last validation: " + ", ".join(f"{name} {value:.4g}" for name, value in validation.items())
        )
    lines += [f"  {line}" for line in parameter_lines(model)]
    if trainer.log_dir is not None and trainer.logger is not None:
        lines.append(f"  TensorBoard: {tensorboard_command()} --logdir {trainer.log_dir}")
    return "\n".join(lines)


def tensorboard_command() -> str:
    """``tensorboard`` as the user can type it: by name where it is on the PATH, else by its path (after
    ``make fit``, ``.venv/bin/tensorboard``: the virtual environment is not activated)."""
    installed = Path(sys.executable).with_name("tensorboard")
    if shutil.which("tensorboard") == str(installed):
        return "tensorboard"
    return str(installed.relative_to(Path.cwd())) if installed.is_relative_to(Path.cwd()) else str(installed)


def parameter_lines(model: GradientDescentExample) -> list[str]:
    """``name = value`` for each parameter of a model of at most 16 parameter elements; none for a larger."""
    params = list(model.named_parameters())
    if sum(p.numel() for _, p in params) > 16:
        return []
    return [f"{name} = {_format(p.detach())}" for name, p in params]


def _format(tensor: Tensor) -> str:
    if tensor.numel() == 1:
        return f"{tensor.item():.7g}"
    return numpy.array2string(tensor.cpu().numpy(), precision=7, separator=", ").replace("\n", "")
