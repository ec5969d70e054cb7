"""Where runs live and what is said of them: run folders under logs/, the checkpoint ``--ckpt_path last``
means, the checks a checkpoint passes before it is read, and the summary printed when fit ends."""

import contextlib
import inspect
import os
import re
import shutil
import sys
from pathlib import Path

import numpy
import torch
from jsonargparse import Namespace
from lightning.pytorch import Trainer
from lightning.pytorch.loggers import TensorBoardLogger
from torch import Tensor

from lit_gd.errors import InputError
from lit_gd.examples import example_name
from lit_gd.failures import LAUNCHED_BY_LIGHTNING
from lit_gd.flags import class_arguments, import_class
from lit_gd.module import GradientDescentExample

LOG_DIR = "logs"
RUN_FOLDER = "LIT_GD_RUN_FOLDER"  # the run's folder, for the processes Lightning launches for it (DDP)
LONGEST_NAME = 80
RUN_NAME = re.compile(rf"[A-Za-z0-9._=,+-]{{1,{LONGEST_NAME}}}")
# Trainer settings that change what is trained, named in a run's folder when they differ from the config's
TRAINING_SETTINGS = ("max_epochs", "max_steps", "accumulate_grad_batches", "gradient_clip_val")


def claim_run_folder(parent: Path, label: str) -> Path:
    """``parent/NNN-label``, NNN one more than the highest number there: runs sort in the order they were
    started, and a name is never given twice. The folder is created here, so that no other run, even one
    started at the same moment, can take it. Processes that Lightning launches for the same run (DDP)
    inherit the folder through the environment instead of claiming their own."""
    if LAUNCHED_BY_LIGHTNING and RUN_FOLDER in os.environ:
        return Path(os.environ[RUN_FOLDER])
    parent.mkdir(parents=True, exist_ok=True)
    numbers = (run_number(entry) for entry in parent.iterdir())
    number = max((n for n in numbers if n is not None), default=-1) + 1
    while True:
        folder = parent / f"{number:03d}-{label}"
        try:
            folder.mkdir()
        except FileExistsError:
            number += 1
            continue
        os.environ[RUN_FOLDER] = str(folder)
        return folder


def release_run_folder(folder: Path) -> None:
    """Removes the folder of a run refused before it wrote anything, and the folders above it in ``logs/``
    that this leaves empty (``<example>/evaluations``, ``<example>``): no empty folder behind, which
    ``--ckpt_path last`` would take for the newest run. A folder that holds anything (an evaluated run's,
    with its checkpoints) stays."""
    if LAUNCHED_BY_LIGHTNING:
        return
    # gone, locked, not empty or not in logs/: left as it is, the refusal being what the user must see
    with contextlib.suppress(OSError, ValueError):
        folder.rmdir()
        os.environ.pop(RUN_FOLDER, None)
        for parent in folder.parents[: len(folder.relative_to(LOG_DIR).parts) - 1]:
            parent.rmdir()


def run_number(folder: Path) -> int | None:
    """The number a run folder's name begins with (``003-lr=0.03``: 3); None for another name."""
    number, dash, _ = folder.name.partition("-")
    return int(number) if dash and number.isdigit() else None


def runs_of(example: str) -> list[Path]:
    """The fit runs of an example, oldest first."""
    runs = [run for run in Path(LOG_DIR, example).glob("*-*") if run.is_dir() and run_number(run) is not None]
    return sorted(runs, key=lambda run: (run_number(run), run.stat().st_mtime))


def fit_run_label(config: Namespace, reference: dict) -> str:
    """A fit run's name after its number: the settings that differ from the example's own config
    (``reference``, its YAML as read), ``lr=0.03,batch_size=1``, or ``defaults`` where none does."""
    changes = changed_settings(config, reference)
    label = ",".join(f"{key}={_label_value(value)}" for key, value in changes.items()) or "defaults"
    if len(label) > LONGEST_NAME:  # the settings that fit whole, then a mark that more were left out
        label = label[: LONGEST_NAME - 3].rpartition(",")[0] + ",..."
    return label


def changed_settings(config: Namespace, reference: dict) -> dict[str, object]:
    """The model's and the data's arguments, the optimizer and its schedule, the training length and the
    seed, where they differ from ``reference`` (an example's config; what it leaves out, the defaults)."""
    changes: dict[str, object] = {}

    def note(section: str, key: str, value) -> None:
        changes[key if changes.get(key, value) == value else f"{section}.{key}"] = value

    for section in ("model", "data", "optimizer", "lr_scheduler"):
        chosen, given = config.get(section), reference.get(section) or {}
        if not chosen:
            continue
        cls = import_class(chosen["class_path"])
        same_class = cls is (import_class(given["class_path"]) if given.get("class_path") else None)
        if not same_class:
            note(section, section, cls.__name__)
        # the config's values, and the class's defaults for what it leaves out
        given_args = {**class_arguments(cls), **(given.get("init_args", {}) if same_class else {})}
        if section == "optimizer":  # its lr is named with it: the lr that runs, whatever the model's says
            given_args["lr"] = None
        for key, value in chosen.get("init_args", {}).items():
            if key != "in_features" and _differs(value, given_args.get(key)):
                note(section, key, value)
    trainer = reference.get("trainer") or {}
    trainer_defaults = inspect.signature(Trainer).parameters
    for key in TRAINING_SETTINGS:
        value = config["trainer"].get(key)
        if _differs(value, trainer.get(key, trainer_defaults[key].default)):
            note("trainer", key, value)
    if config.get("seed_everything") != reference.get("seed_everything", 0):
        note("", "seed", config.get("seed_everything"))
    return changes


def _differs(value, reference) -> bool:
    """Whether a setting differs from the reference, a list given for a tuple default being the same."""
    if isinstance(value, (list, tuple)) and isinstance(reference, (list, tuple)):
        return list(value) != list(reference)
    return value != reference


def _label_value(value) -> str:
    """A setting's value as a folder name can hold it: ``0.03``, ``true``, ``1+2+3``, a file's name."""
    if isinstance(value, bool) or value is None:
        text = str(value).lower()
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, (list, tuple)):
        text = "+".join(map(_label_value, value))
    else:
        text = Path(str(value)).name or str(value)
    return re.sub(r"[^A-Za-z0-9._=+-]", "_", text)


def check_run_name(name: str) -> None:
    if not RUN_NAME.fullmatch(name):
        raise InputError(
            f"--run_name {name!r}: a run name is 1 to {LONGEST_NAME} of the characters A-Z a-z 0-9 . _ = ,"
            " + - (no space, no slash), e.g. --run_name baseline"
        )


def evaluation_folder(example: str, subcommand: str, checkpoint: Path | None, run_name: str | None) -> Path:
    """Where validate, test and predict write: the folder of the run whose checkpoint they evaluate
    (``<run>/checkpoints/last.ckpt``: ``<run>``), so that its TensorBoard shows ``test/*`` beside its
    training curves; with no checkpoint, or one from elsewhere, a folder of their own under
    ``logs/<example>/evaluations/``, ``NNN-test-untrained``, which never looks like a fit run."""
    if checkpoint is not None and checkpoint.parent.name == "checkpoints":
        if run_name is not None:
            raise InputError(
                f"--run_name {run_name}: {subcommand} writes in the folder of the run it evaluates,"
                f" {checkpoint.parent.parent}; leave --run_name out"
            )
        return checkpoint.parent.parent
    what = run_name or ("untrained" if checkpoint is None else _label_value(checkpoint.stem))
    return claim_run_folder(Path(LOG_DIR, example, "evaluations"), f"{subcommand}-{what}")


def first_free(path: Path) -> Path:
    """``path``, or where it exists ``stem-2.suffix``, ``stem-3.suffix``...: never a file written before."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


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
    if Path(path).is_dir():
        found = sorted(Path(path).glob("*.ckpt")) + sorted(Path(path).glob("checkpoints/*.ckpt"))  # a run's
        inside = f", such as {found[-1]}" if found else ""
        raise InputError(f"--ckpt_path {path} is a folder: give a checkpoint file{inside}")
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
    log_dir = trainer.log_dir  # collective under DDP: read on every process
    if log_dir is not None and any(isinstance(logger, TensorBoardLogger) for logger in trainer.loggers):
        lines.append(f"  TensorBoard: {installed_command('tensorboard')} --logdir {log_dir}")
    return "\n".join(lines)


def installed_command(name: str) -> str:
    """A console script of lit-gd's environment (``tensorboard``, ``lit-gd``) as the user can type it: by
    name where it is on the PATH, else by its path (after ``make fit``, ``.venv/bin/tensorboard``: the
    virtual environment is not activated)."""
    installed = Path(sys.executable).with_name(name)
    if shutil.which(name) == str(installed):
        return name
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
