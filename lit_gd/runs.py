"""Where runs live and what is said of them: run folders under logs/, the checkpoint ``--ckpt_path last``
means, the checks a checkpoint passes before it is read, and the summary printed when fit ends."""

import importlib
import os
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


def claim_run_folder(example_dir: Path) -> int:
    """The next free ``version_N`` under ``example_dir``, created here so that no other run, even one started
    at the same moment, can take it. Processes that Lightning launches for the same run (DDP) inherit the
    number through the environment instead of claiming their own."""
    if int(os.environ.get("LOCAL_RANK", 0)) > 0 and RUN_VERSION in os.environ:
        return int(os.environ[RUN_VERSION])
    example_dir.mkdir(parents=True, exist_ok=True)
    taken = [
        int(p.name.removeprefix("version_")) for p in example_dir.glob("version_*") if p.name[8:].isdigit()
    ]
    version = max(taken, default=-1) + 1
    while True:
        try:
            (example_dir / f"version_{version}").mkdir()
        except FileExistsError:
            version += 1
            continue
        os.environ[RUN_VERSION] = str(version)
        return version


def check_checkpoint(path: str) -> None:
    """A checkpoint must exist and load as tensors and plain data (``weights_only``: nothing in it runs)."""
    if not Path(path).is_file():
        raise InputError(f"--ckpt_path {path}: no such file (or 'last' for the newest run's last.ckpt)")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        reason = " ".join(str(error).split())[:160]
        raise InputError(
            f"--ckpt_path {path} is not a checkpoint lit-gd can read safely ({reason})"
        ) from None
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise InputError(f"--ckpt_path {path} is not a Lightning checkpoint (it holds no state_dict)")


def latest_last_checkpoint(model_class_path: str) -> Path:
    """``--ckpt_path last``: the last.ckpt of the newest earlier run of the same example under logs/."""
    module_name, _, class_name = model_class_path.rpartition(".")
    example = example_name(getattr(importlib.import_module(module_name), class_name))
    runs = Path(LOG_DIR, example).glob("version_*/checkpoints/last.ckpt")
    newest = max(runs, key=lambda path: int(path.parts[-3].removeprefix("version_")), default=None)
    if newest is None:
        raise InputError(
            f"--ckpt_path last: no earlier run of {example} has a {LOG_DIR}/{example}/*/checkpoints/last.ckpt"
        )
    return newest


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
        lines.append(f"  TensorBoard: tensorboard --logdir {trainer.log_dir}")
    return "\n".join(lines)


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
