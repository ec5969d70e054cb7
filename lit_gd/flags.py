"""What the command line accepts, and how its mistakes are told: jsonargparse's dozen-line explanation of
a bad value condensed to one line naming the flag, the value and what is allowed, with "did you mean" for a
flag close to one that exists; the classes --model and --data offer; a look at an optimizer's settings
before the run starts."""

import contextlib
import difflib
import importlib
import importlib.util
import inspect
import itertools
import math
import re
import shlex
from pathlib import Path

import torch
import yaml
from jsonargparse import ArgumentParser, Namespace
from lightning.pytorch import Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI
from torch import Tensor

from lit_gd.csv_data import CSVClassificationData, CSVRegressionData
from lit_gd.errors import InputError
from lit_gd.examples import EXAMPLES
from lit_gd.module import GradientDescentExample
from lit_gd.profiler import LIGHTNING_PROFILERS

# the list types jsonargparse names in its messages, as a user writes a list on the command line
A_LIST = "a list, such as [1,2,3]"
LIST_TYPES = dict.fromkeys(["collections.abc.Sequence", "collections.abc.Iterable", "list", "tuple"], A_LIST)


# --optimizer.lr given with no --optimizer: jsonargparse gives the setting to the base class
CHOSEN_FIRST = {
    "torch.optim.Optimizer": "--optimizer SGD",
    "torch.optim.lr_scheduler.LRScheduler": "--lr_scheduler StepLR",
}

# what --optimizer and --lr_scheduler take, by the names LightningCLI knows them by
TORCH_CHOICES = {
    "optimizer": "an optimizer of torch.optim, such as Adam",
    "lr_scheduler": "an lr schedule of torch.optim.lr_scheduler, such as StepLR",
}


def condense_parse_error(message: str, args: list[str] = ()) -> str:
    """jsonargparse explains a bad value over a dozen lines (every type of a union it tried); the user needs
    one: the flag, the value (as typed in ``args``, the command line), and what is allowed."""
    section = re.search(r'Parser key "([\w.]+)"', message)
    # the section's own class unknown (not a class-typed setting within it: SGD's lr may be a Tensor)
    unknown_class = "Problem with given class_path" not in message and re.search(
        r"Expected a dot import path string: (\S+)", message
    )
    if section and unknown_class and section[1] in ("model", "data"):
        choices = ", ".join(sorted(cls.__name__ for cls in CHOICES[section[1]]))
        return f"--{section[1]} {unknown_class[1]}: no such class; choose one of {choices}"
    if section and unknown_class and section[1] in TORCH_CHOICES:
        return f"--{section[1]} {unknown_class[1]}: no such class; give {TORCH_CHOICES[section[1]]}"
    # a flag's value as jsonargparse shows it: quoted where it is a string, as parsed where not ([1.0, 'nan'])
    nested = re.findall(r"NestedArg\(key='([\w.]+)', val=(?:'(.*?)'|(.*?))\)$", message, re.MULTILINE)
    given = re.search(r"(?:Got|Given) value: (.*)", message)
    if section and (nested or given):
        if nested:
            key, text, parsed = nested[-1]
            flag, value = f"--{section[1]}.{key}", text or parsed
        else:  # a section's settings as a mapping (--data '{x: [1, nan]}', a config file): the key refused
            key = re.findall(r'Parser key "([\w.]+)"', message)[-1]  # within the section, or named from it
            flag = f"--{key}" if key.startswith(section[1]) else f"--{section[1]}.{key}"
            value = given[1]
        # the element refused, where the value holds several (--data.y [1, nan]): named after what is allowed
        element = f", got {given[1]}" if nested and given and given[1] != value else ""
        value = as_typed(flag, value, args)
        unknown_argument = re.search(r"class_path '([\w.]+)':\s+Option '(\w+)' is not accepted", message)
        if unknown_argument:
            return f"{flag} {value}: {_no_such_argument(flag, *unknown_argument.groups())}"
        expected = re.findall(r"Expected (?:a )?(<class '([\w.]+)'>|typing\.Literal\[(.*?)\])", message)
        allowed = [
            LIST_TYPES.get(name, name.rpartition(".")[2]) or literal
            for _, name, literal in expected
            if name != "NoneType"
        ]
        if "Subtypes: [list[list[" in message:  # rows (--data.predict_inputs), not a flat list
            allowed = ["rows, such as [[1,2],[3,4]]" if kind == A_LIST else kind for kind in allowed]
        allowed += [
            f"a list of {count} values" for count in re.findall(r"a tuple with (\d+) elements", message)
        ]
        allowed += [
            f"a {base} class (its class path)"
            for base in re.findall(r"Not a valid subclass of (\w+)", message)
        ]
        allowed += [
            f"a string of the form {form}" for form in re.findall(r"with form (.*?) but got", message)
        ]
        return f"{flag} {value}: expected {' or '.join(dict.fromkeys(allowed)) or 'another value'}{element}"
    return " ".join(message.split())


def flag_values(args: list[str], flag: str) -> list[str]:
    """The values a command line gives ``flag``, in order, in either spelling (``--flag value``,
    ``--flag=value``)."""
    return [
        following if word == flag else word.removeprefix(f"{flag}=")
        for word, following in itertools.pairwise([*args, ""])
        if word == flag or word.startswith(f"{flag}=")
    ]


def on_command_line(args: list[str], flag: str) -> bool:
    """Whether a command line gives ``flag`` (``--model.lr``), or its long spelling
    (``--model.init_args.lr``)."""
    section, _, key = flag.removeprefix("--").partition(".")
    return any(flag_values(args, spelling) for spelling in (flag, f"--{section}.init_args.{key}"))


def as_typed(flag: str, shown: str, args: list[str]) -> str:
    """A flag's value as the user typed it on the command line, where one of the values given it there is
    the one jsonargparse shows, parsed (``null`` as None, ``1e3`` as 1000.0, ``[1,nan]`` as [1.0, 'nan']);
    else as shown: the flag given twice, the first refused, or a value from a mapping or a config file."""
    return next((typed for typed in flag_values(args, flag) if _alike(typed, shown)), shown)


def _alike(typed: str, shown: str) -> bool:
    """Whether jsonargparse's account of a value (``shown``) is of ``typed``: the same text, as YAML reads
    it, or as a number, leaving out spaces, quotes and the ``.0`` of whole numbers."""

    def bare(text: str) -> str:
        return re.sub(r"(\d)\.0\b", r"\1", re.sub(r"[\s'\"]", "", text))

    readings = [typed]
    with contextlib.suppress(yaml.YAMLError):
        readings.append(str(yaml.safe_load(typed)))
    with contextlib.suppress(ValueError):
        readings.append(str(float(typed)))  # 1e3, which YAML 1.1 reads as a string
    return bare(shown) in map(bare, readings)


def condense_instantiation_error(message: str) -> str | None:
    """jsonargparse's account of a class given in a config or a flag (a callback, a logger, a profiler)
    whose constructor refused its arguments, over a dozen lines: the class and its own reason, in one. None
    for a message of another form."""
    problem = re.search(
        r"Problem with given class_path '([\w.]+)':\s*(.*?)\s*(?:\n\s*- |\nGiven value|$)", message, re.S
    )
    if problem:
        return f"{problem[1].rpartition('.')[2]}: {' '.join(problem[2].split())}"
    # a list of classes (callbacks): the first error is the refusing class's own; the classes given are named
    first = re.search(r"Errors:\n\s*- (.*?)\n\s*- ", message, re.S)
    classes = dict.fromkeys(path.rpartition(".")[2] for path in re.findall(r"class_path='([\w.]+)'", message))
    if first and classes:
        return f"{', '.join(classes)}: {' '.join(first[1].split())}"
    return None


def config_files(args: list[str]) -> list[str]:
    """The ``--config`` files of a command line, in order."""
    return flag_values(args, "--config")


def set_in_config_files(args: list[str], section: str, key: str) -> bool:
    """Whether a ``--config`` file of the command line sets ``key`` of ``section`` (``optimizer: {init_args:
    {lr: 0.001}}``), even to its default, as a run's saved config.yaml does."""
    for name in config_files(args):
        with contextlib.suppress(OSError, UnicodeDecodeError, yaml.YAMLError):
            part = (yaml.safe_load(Path(name).read_text()) or {}).get(section)
            if isinstance(part, dict) and key in {**part, **(part.get("init_args") or {})}:
                return True
    return False


def check_list_appends(args: list[str]) -> None:
    """``--data.x+ 5`` appends to the list given before it, on the command line or in a config file. The
    example's own points (its class's defaults) are not given: jsonargparse makes the list [5], and the run
    trains on one point without a word."""
    for index, word in enumerate(args):
        append = re.fullmatch(r"--data\.(?:init_args\.)?(\w+)\+(?:=.*)?", word)
        if not append:
            continue
        key = append[1]
        if on_command_line(args[:index], f"--data.{key}") or set_in_config_files(args, "data", key):
            continue
        value = flag_values(args[index:], append[0].partition("=")[0])[0]
        raise InputError(
            f"--data.{key}+ {shlex.quote(value)}: appends to a list given before it, and none was (the"
            f" example's own points are not): give the whole list, as --data.{key} [1,2,3]",
            exit_code=2,
        )


def config_file_problem(args: list[str]) -> str | None:
    """After jsonargparse found a config file it could not read ("Unexpected config", "Problems parsing
    config", naming no file): the first ``--config`` file given that is empty, not YAML, or not a mapping
    of settings, and where; None where each reads as settings."""
    for name in config_files(args):
        try:
            text = Path(name).read_text()
            settings = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError):  # jsonargparse names a file it cannot open
            continue
        except yaml.MarkedYAMLError as error:  # where the problem was found, and what it was inside
            parts = [(error.context, error.context_mark), (error.problem, error.problem_mark)]
            where = ", ".join(
                f"{what} (line {mark.line + 1}, column {mark.column + 1})"
                for what, mark in parts
                if what and mark
            )
            return f"--config {name} is not YAML: {where}"
        except yaml.YAMLError as error:
            return f"--config {name} is not YAML: {error}"
        example = "such as 'trainer: {max_epochs: 10}'"
        if not text.strip():
            return f"--config {name} is empty: give settings, {example}"
        if not isinstance(settings, dict):
            return f"--config {name} holds {settings!r}, not settings ({example})"
    return None


def _no_such_argument(flag: str, class_path: str, argument: str) -> str:
    """What the class named takes, and the one of its own arguments the user may have meant."""
    section = flag.removeprefix("--").partition(".")[0]
    if class_path in CHOSEN_FIRST:  # the base class: no optimizer or schedule chosen yet
        return f"no --{section} is chosen to take it: choose one first, such as {CHOSEN_FIRST[class_path]}"
    takes = list(class_arguments(import_class(class_path)))
    name = class_path.rpartition(".")[2]
    return f"{name} has no argument '{argument}'; it takes {', '.join(takes)}" + did_you_mean(
        flag, {f"--{section}.{key}" for key in takes}
    )


def hint(message: str, parser: LightningArgumentParser) -> str:
    """After a parse error naming a flag that does not exist: the flag the user may have meant, or where
    every flag is listed."""
    # Only a flag nothing took: one that was taken (its value refused, an argument its class lacks, said
    # with the class's own arguments) may belong to a class given by path, whose flags are listed nowhere
    if not message.startswith("unrecognized arguments"):
        return ""
    return did_you_mean(message, known_flags(parser)) or " (--help lists every flag)"


# What --model and --data offer by class name: the registry's examples, and the user's own CSV data
CHOICES = {
    "model": [model for model, _ in EXAMPLES.values()],
    "data": [data for _, data in EXAMPLES.values()] + [CSVRegressionData, CSVClassificationData],
}


def known_flags(parser: LightningArgumentParser) -> set[str]:
    """Every flag of the command line: the parsers' own, every subcommand's own arguments (lit-gd builds
    the parser of the subcommand given only), and each model's and data set's arguments."""
    flags, pending = set(), [parser]
    while pending:
        current = pending.pop()
        for action in current._actions:
            flags.update(option for option in action.option_strings if option.startswith("--"))
            if isinstance(action.choices, dict):  # the subcommands' parsers
                pending.extend(choice for choice in action.choices.values() if hasattr(choice, "_actions"))
    for subcommand, skip in LightningCLI.subcommands().items():
        arguments = inspect.signature(getattr(Trainer, subcommand)).parameters
        flags |= {f"--{name}" for name in arguments if name not in {"self", *skip}}
    for section, classes in CHOICES.items():
        flags |= {f"--{section}.{key}" for cls in classes for key in class_arguments(cls)}
    return flags


def did_you_mean(message: str, flags: set[str]) -> str:
    """ "; did you mean --trainer.max_epochs?" where the message names a flag that does not exist but is
    close to one that does."""
    named = re.search(r"(--[\w.]+)", message)
    if named is None or named[1] in flags:
        return ""
    close = difflib.get_close_matches(named[1], flags, n=1, cutoff=0.8)
    return f"; did you mean {close[0]}?" if close else ""


def subclasses(base: type) -> list[type]:
    found, pending = [], [base]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found.append(subclass)
            pending.append(subclass)
    return found


def known_model(class_path: str) -> type[GradientDescentExample] | None:
    """The model class a config or a checkpoint names (``lit_gd.NotGate`` or its module's path), among the
    classes already imported; None for any other name."""
    for model in subclasses(GradientDescentExample):
        if class_path in (f"lit_gd.{model.__name__}", f"{model.__module__}.{model.__qualname__}"):
            return model
    return None


def class_arguments(cls: type) -> dict:
    """A class's constructor arguments with their defaults, as LightningCLI makes them flags (jsonargparse
    follows ``**kwargs`` into the base class; an optimizer's ``params`` is no flag)."""
    parser = ArgumentParser()
    parser.add_class_arguments(cls, skip={"params"})
    return vars(parser.get_defaults())


def constructor_default(owner: type, key: str):
    """The default of a constructor argument, wherever in the class's hierarchy it is declared."""
    return class_arguments(owner).get(key)


def as_flag(value) -> str:
    """A value as the user types it on the command line (``false``, not ``False``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def check_optimizer_settings(optimizer: Namespace, scheduler: Namespace | None) -> None:
    """torch checks an optimizer's and an lr schedule's settings only as they are built and stepped, after
    the run has started (LBFGS's line search, StepLR's step_size 0): both are built on a stand-in parameter
    now and take a step, so that a bad setting is a line, not a traceback."""
    param = torch.zeros(1, requires_grad=True)

    def closure() -> Tensor:
        built.zero_grad()
        loss = (param - 1).square().sum()
        loss.backward()
        return loss

    def refused(flag: str, given: Namespace, error: Exception) -> InputError:
        module, _, name = given["class_path"].rpartition(".")
        module = module.replace("lightning.pytorch.cli", "torch.optim.lr_scheduler")  # its ReduceLROnPlateau
        return InputError(f"{flag} {name}: {error} (see {module}.{name})")

    refusals = (ValueError, RuntimeError, ZeroDivisionError)
    try:
        built = import_class(optimizer["class_path"])([param], **optimizer["init_args"])
        built.step(closure)
    except refusals as error:
        raise refused("--optimizer", optimizer, error) from None
    if not scheduler:
        return
    try:
        schedule = import_class(scheduler["class_path"])(built, **scheduler["init_args"])
        built.step(closure)  # the schedule steps after the optimizer, as in training
        if isinstance(schedule, torch.optim.lr_scheduler.ReduceLROnPlateau):
            schedule.step(0.0)  # on the metric it watches
        else:
            schedule.step()
    except refusals as error:
        raise refused("--lr_scheduler", scheduler, error) from None


def check_stepping(
    accumulate_grad_batches, gradient_clip_val: float | None, gradient_clip_algorithm: str | None
) -> tuple[int, float | None, str | None]:
    """The trainer's accumulation and clipping settings, which the model's step carries out, checked."""
    batches = accumulate_grad_batches
    if isinstance(batches, bool) or not isinstance(batches, int) or batches < 1:
        raise InputError(
            f"--trainer.accumulate_grad_batches must be a whole number of at least 1, got {batches}"
        )
    if gradient_clip_val is not None and not (math.isfinite(gradient_clip_val) and gradient_clip_val >= 0):
        raise InputError(
            "--trainer.gradient_clip_val must be a finite number, 0 or more (0: no clipping),"
            f" got {gradient_clip_val}"
        )
    algorithm = gradient_clip_algorithm and gradient_clip_algorithm.lower()
    if algorithm not in (None, "norm", "value"):
        raise InputError(
            f"--trainer.gradient_clip_algorithm must be norm or value, got {gradient_clip_algorithm}"
        )
    return batches, gradient_clip_val, algorithm


def check_sections(config: Namespace, sections: list[str]) -> None:
    """Each of ``sections`` of a parsed config holds settings: jsonargparse takes a config's ``trainer: 5``
    as given, and the run would fail on it later with a traceback."""
    for section in sections:
        if section in config and not isinstance(config[section], Namespace):
            raise InputError(
                f"{section}: {config[section]!r} in a config: give its settings, one per line under it"
                f" ({section}:, then '  <setting>: <value>')"
            )


def check_trainer_settings(config: Namespace) -> None:
    """The trainer's settings that Lightning takes without a word, or refuses only once training has
    started, checked before a run folder is claimed."""
    check_validation_interval(config.get("check_val_every_n_epoch"))
    check_limits(config)
    check_overfit_batches(config.get("overfit_batches"))
    check_checkpointing(config.get("enable_checkpointing"))
    check_root_folder(config.get("default_root_dir"), config.get("logger"), config.get("fast_dev_run"))


def check_root_folder(folder: str | None, logger, fast_dev_run) -> None:
    """``--trainer.default_root_dir``, where Lightning puts what a run writes when its logger names no
    folder: lit-gd's logger names the run's own folder under ``logs/``, so the setting would be ignored."""
    if folder is not None and logger in (None, True) and not fast_dev_run:
        raise InputError(
            f"--trainer.default_root_dir {shlex.quote(str(folder))}: lit-gd keeps each run in"
            " logs/<example>/ of the folder it is started in; start it from the folder that should hold"
            " logs/ (or give --trainer.logger false to write no TensorBoard and keep the run's files in"
            " this folder)"
        )


def check_root_folder_free(folder: Path, evaluating: bool) -> None:
    """``--trainer.default_root_dir`` without TensorBoard (``--trainer.logger false``): Lightning writes the
    run's config and checkpoints there, and would refuse a second config with a traceback, or write over a
    ``last.ckpt``. A fit needs a folder that holds no run; validate, test and predict write beside one."""
    kept = [path for path in (folder / "config.yaml", folder / "checkpoints") if path.exists()]
    if kept and not evaluating:
        raise InputError(
            f"--trainer.default_root_dir {shlex.quote(str(folder))} already holds a run ({kept[0]}): give a"
            " folder of its own to every fit, or leave the setting out for a new folder under logs/"
        )


def check_validation_interval(every: int | None) -> None:
    """``--trainer.check_val_every_n_epoch``, which Lightning takes as given and divides by."""
    if every is not None and every < 1:
        raise InputError(
            "--trainer.check_val_every_n_epoch must be a whole number of at least 1 (or null, to validate"
            f" by --trainer.val_check_interval), got {every}"
        )


def check_validation_batch(trainer: Trainer, batches: int) -> None:
    """A whole number ``--trainer.val_check_interval`` counts the training batches of an epoch (``batches``,
    before ``--trainer.limit_train_batches``): Lightning refuses one larger than that as training starts,
    with a traceback. As Lightning checks it: not where validation is off or counts batches across epochs
    (``check_val_every_n_epoch`` null). A time (``00:00:05:00``) leaves the trainer no
    ``val_check_interval``."""
    interval, limit = getattr(trainer, "val_check_interval", None), trainer.limit_train_batches
    if (
        not isinstance(interval, int)
        or trainer.check_val_every_n_epoch is None
        or not trainer.limit_val_batches
    ):
        return
    batches = min(batches, limit) if isinstance(limit, int) else int(batches * limit)
    if interval > batches:
        raise InputError(
            f"--trainer.val_check_interval {interval} is more than the {batches} training batch(es) of an"
            f" epoch: give at most {batches}, a fraction of an epoch (0.0 to 1.0), or"
            " --trainer.check_val_every_n_epoch null to count batches across epochs"
        )


def check_limits(config: Namespace) -> None:
    """``--trainer.min_epochs`` and ``min_steps`` above their ``max_``: Lightning stops at the maximum all the
    same, without a word."""
    for unit in ("epochs", "steps"):
        least, most = config.get(f"min_{unit}"), config.get(f"max_{unit}")
        if least is not None and most is not None and 0 <= most < least:
            raise InputError(
                f"--trainer.min_{unit} {least} is more than --trainer.max_{unit} {most}: training stops at"
                f" max_{unit} all the same; give min_{unit} at most {most}"
            )


# lit-gd's own settings that count something, each with the least it may be
COUNTS = {
    "step_logger.max_param_elements": 0,
    "step_logger.flush_every_n_steps": 1,
    "histograms.every_n_steps": 0,
    "histograms.min_elements": 1,
    "histograms.flush_every_n_steps": 1,
    "figures.every_n_epochs": 0,
    "dead_relu.patience": 1,
    "saturation.patience": 1,
}


def check_counts(config: Namespace) -> None:
    """``COUNTS``: a negative count (or a flush every 0 steps) would run as some other number, without a
    word."""
    for key, least in COUNTS.items():
        value = config.get(key)
        if value is not None and value < least:
            raise InputError(f"--{key} must be a whole number of at least {least}, got {value}")


def check_seed(seed: int | bool | None) -> None:
    """``--seed_everything``: numpy's seeds, as Lightning's ``seed_everything`` takes them (it raises a
    ValueError for any other number, as the run starts)."""
    if not isinstance(seed, bool) and isinstance(seed, int) and not 0 <= seed <= 2**32 - 1:
        raise InputError(
            f"--seed_everything {seed}: a seed is a whole number from 0 to {2**32 - 1} (or true for a random"
            " one, false for none)"
        )


def check_checkpointing(enable_checkpointing: bool | None) -> None:
    """``--trainer.enable_checkpointing false``: Lightning then refuses the ModelCheckpoints that lit-gd
    gives every run, naming them as if the user had; which flags turn those off is lit-gd's to say."""
    if enable_checkpointing is False:
        raise InputError(
            "--trainer.enable_checkpointing false: lit-gd's checkpoints are its own; to keep none, give"
            " --checkpoint.save_top_k 0 --last_checkpoint.save_last false"
        )


def check_overfit_batches(overfit_batches: int | float | None) -> None:
    """Lightning overfits by making a new ``DataLoader`` of the training batches; lit-gd hands it ready
    batches (``ResumableLoader``), which Lightning refuses with a traceback as training starts."""
    if overfit_batches:
        raise InputError(
            f"--trainer.overfit_batches {overfit_batches}: lit-gd's data is not a DataLoader, which Lightning"
            " needs for it; to train on a few batches, give --trainer.limit_train_batches (and"
            " --trainer.limit_val_batches) instead"
        )


def check_checkpoint_files(config: Namespace) -> None:
    """lit-gd writes each run's checkpoints in the run's own folder: a ``--checkpoint.dirpath`` (or
    ``--last_checkpoint.dirpath``) elsewhere, another run's folder or one that several runs share, would
    overwrite earlier checkpoints without a word, as would a ``filename`` with folders in it
    (``../best``). A filename must also be one that Lightning can fill in (``best-{epoch}``), which it
    would otherwise find out at the first save, after training."""
    for section in ("checkpoint", "last_checkpoint"):
        dirpath, filename = config[section].get("dirpath"), config[section].get("filename")
        if dirpath is not None:
            raise InputError(
                f"--{section}.dirpath {shlex.quote(str(dirpath))}: lit-gd writes each run's checkpoints in"
                " its own folder (logs/<example>/<run>/checkpoints), where no other run's are overwritten:"
                " leave it out"
            )
        if filename is None:
            continue
        literal = re.sub(r"\{[^}]*\}", "", filename)  # what Lightning fills in may hold a slash (val/loss)
        if filename in ("", ".", "..") or "/" in literal:
            raise InputError(
                f"--{section}.filename {shlex.quote(filename)}: give a file name without folders, such as"
                " best-{epoch}"
            )
        try:
            ModelCheckpoint(filename=filename).format_checkpoint_name({})
        except (ValueError, KeyError, IndexError) as error:
            raise InputError(
                f"--{section}.filename {shlex.quote(filename)}: Lightning cannot fill it in ({error}); names"
                " in braces are its metrics and counters, such as best-{epoch}-{step}"
            ) from None


def check_profiler(profiler: str | Namespace | None) -> None:
    """``--trainer.profiler``: by name, one of Lightning's. Lightning's XLA profiler, by name or by class,
    needs torch_xla: without it, Lightning's ``XLAProfiler`` refuses to be made, then fails again with a
    traceback as the half-made object is collected, so it is refused before. Any other class is
    jsonargparse's to check."""
    if isinstance(profiler, str) and profiler.lower() not in LIGHTNING_PROFILERS:
        allowed = ", ".join(LIGHTNING_PROFILERS)
        raise InputError(f"--trainer.profiler {shlex.quote(profiler)}: choose one of {allowed}")
    given = profiler if isinstance(profiler, str) else profiler and profiler.get("class_path", "")
    name = (given or "").rpartition(".")[2]  # a class by its name, wherever it is imported from
    if name.lower() in ("xla", "xlaprofiler") and importlib.util.find_spec("torch_xla") is None:
        raise InputError(
            f"--trainer.profiler {name} needs torch_xla (TPUs), which is not installed; on this machine"
            " choose simple, advanced or pytorch"
        )


def import_class(class_path: str) -> type:
    module, _, name = class_path.rpartition(".")
    return getattr(importlib.import_module(module), name)
