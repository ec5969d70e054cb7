"""``lit-gd``: LightningCLI over every example.

lit-gd fit --config configs/linear_regression.yaml
lit-gd fit --model NotGate --data NotGateData --trainer.max_epochs 5
lit-gd fit --config configs/not_gate.yaml --print_config
"""

import os
import re
import signal
import sys
import warnings
from argparse import ArgumentError
from pathlib import Path

import torch
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch import Trainer
from lightning.pytorch.callbacks import ModelCheckpoint, ProgressBar
from lightning.pytorch.cli import ArgsType, LightningArgumentParser, LightningCLI

import lit_gd.csv_data  # noqa: F401  (the user's own data, known by class name: --data CSVRegressionData)
import lit_gd.examples  # noqa: F401  (the registry: every example's classes, known by name)
from lit_gd.callbacks import FigureLogger, HParamsLogger, ParameterHistograms, PredictionWriter, StepLogger
from lit_gd.data import TensorDataModule
from lit_gd.errors import InputError, TrainingStopped
from lit_gd.examples import example_name
from lit_gd.guards import DeadReLUMonitor, DivergenceGuard, GracefulInterrupt
from lit_gd.logger import TensorBoardLoggerWithoutEpoch
from lit_gd.module import GradientDescentExample
from lit_gd.progress import ThrottledProgressBar
from lit_gd.runs import LOG_DIR, check_checkpoint, claim_run_folder, fit_summary, latest_last_checkpoint
from lit_gd.story import StoryWriter

# Silenced, each for a reason: in-memory tensors cut into whole batches gain nothing from worker processes;
# the others are deprecations inside Lightning 2.6 itself (of torch's pytree API, torchmetrics' update flag,
# jsonargparse calls) and in torch's TensorBoard graph tracer, that a user of lit-gd can do nothing about.
warnings.filterwarnings("ignore", message=r"The '\w+_dataloader' does not have many workers")
warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")
warnings.filterwarnings("ignore", message=r"This property will be removed in 2.0.0. Use `Metric.updated_")
warnings.filterwarnings("ignore", message=r"`torch.jit.trace(_method)?` is deprecated")
os.environ.setdefault("JSONARGPARSE_DEPRECATION_WARNINGS", "off")


class LitGdCLI(LightningCLI):
    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(StepLogger, "step_logger")
        parser.add_lightning_class_args(ParameterHistograms, "histograms")
        parser.add_lightning_class_args(FigureLogger, "figures")
        parser.add_lightning_class_args(DivergenceGuard, "divergence")
        parser.add_lightning_class_args(DeadReLUMonitor, "dead_relu")
        parser.add_lightning_class_args(StoryWriter, "story")
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.add_lightning_class_args(ModelCheckpoint, "last_checkpoint")
        parser.add_argument(
            "--log_graph", type=bool, default=True, help="Draw the model's graph in TensorBoard."
        )
        # Two files, not one at every epoch of a 1000-epoch tiny run: the best by val/loss, rewritten when a
        # validation improves on it (each config sets how often it validates), and last.ckpt when fit ends.
        parser.set_defaults(
            {
                "checkpoint.monitor": "val/loss",
                "checkpoint.filename": "best-{epoch}",
                "last_checkpoint.save_last": True,
                "last_checkpoint.save_top_k": 0,
            }
        )
        # The figures are drawn from what the step logger recorded
        parser.link_arguments("step_logger", "figures.step_logger", apply_on="instantiate")
        # The story's table of steps comes from the same record, and its diagnoses from the guards
        parser.link_arguments("step_logger", "story.step_logger", apply_on="instantiate")
        parser.link_arguments(
            ("divergence", "dead_relu"),
            "story.guards",
            compute_fn=lambda *guards: guards,
            apply_on="instantiate",
        )
        # Input sizes come from the data: every model's in_features is the data's column count.
        parser.link_arguments(
            "data",
            "model.init_args.in_features",
            compute_fn=lambda data: data.num_features,
            apply_on="instantiate",
        )

    def parse_arguments(self, parser: LightningArgumentParser, args: ArgsType) -> None:
        super().parse_arguments(parser, args)
        # Before LightningCLI reads the checkpoint's hyperparameters: resolve 'last', refuse what can't load.
        config = self.config.get(self.config.get("subcommand") or "", {})
        if config.get("ckpt_path") == "last":
            config["ckpt_path"] = str(latest_last_checkpoint(config["model"]["class_path"]))
        elif config.get("ckpt_path"):
            check_checkpoint(config["ckpt_path"])

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        if config.get("lr_scheduler") and not config.get("optimizer"):
            # LightningCLI would silently keep the model's own optimizer and drop the schedule
            raise InputError("--lr_scheduler needs --optimizer too, e.g. --optimizer SGD --optimizer.lr 0.01")

    def instantiate_trainer(self, **kwargs) -> Trainer:
        config = self._get(self.config_init, "trainer")
        if config.get("logger") in (None, True):
            name = example_name(type(self.model))
            kwargs["logger"] = TensorBoardLoggerWithoutEpoch(
                LOG_DIR,
                name=name,
                version=claim_run_folder(Path(LOG_DIR, name)),
                default_hp_metric=False,
                log_graph=self._get(self.config, "log_graph"),
            )
        given = config.get("callbacks") or []
        given = given if isinstance(given, list) else [given]
        # lit-gd's bar (Lightning's, drawn at most ten times a second), unless the bar is off or one is given
        bar_wanted = config.get("enable_progress_bar") is not False
        bar = (
            [ThrottledProgressBar()]
            if bar_wanted and not any(isinstance(c, ProgressBar) for c in given)
            else []
        )
        self.interrupt = GracefulInterrupt()  # after fit, it says whether a signal stopped the run
        kwargs["callbacks"] = [*given, *bar, self.interrupt]
        return super().instantiate_trainer(**kwargs)

    def after_fit(self) -> None:
        summary = fit_summary(self.trainer, self.model)  # on every process: trainer.log_dir is collective
        if self.trainer.is_global_zero:
            print(summary)
        received = self.interrupt.received
        if received is not None:
            raise TrainingStopped(
                f"stopped by {signal.Signals(received).name} at step {self.trainer.global_step}; last.ckpt is"
                " saved: resume with --ckpt_path last",
                exit_code=128 + received,
            )


def main(args: ArgsType = None) -> None:
    """The ``lit-gd`` console script; tests call it with an argument list. A user's mistake, or a run that
    had to stop, ends with one line on stderr and a non-zero exit, never a traceback."""
    try:
        run_cli(args)
    except ArgumentError as error:  # jsonargparse could not parse the command line or a config
        _fail(condense_parse_error(str(error)), exit_code=2)
    except (MisconfigurationException, ModuleNotFoundError) as error:  # Lightning refused a trainer setting
        _fail(" ".join(str(error).split()))
    except Exception as error:
        cause = _reported_error(error)
        if cause is None:
            raise
        stopped_mid_run = isinstance(cause, TrainingStopped)
        _fail(str(cause), getattr(cause, "exit_code", 1), fresh_line=stopped_mid_run)
    finally:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            # Under DDP the process group is shut down here, not by the interpreter's exit, where gloo's
            # threads now and then abort the process ("terminate called without an active exception")
            torch.distributed.destroy_process_group()


def _fail(message: str, exit_code: int = 1, fresh_line: bool = False) -> None:
    """One line on stderr, then exit; ``fresh_line`` first ends whatever line the progress bar was drawing."""
    print(f"{chr(10) if fresh_line else ''}lit-gd: error: {message}", file=sys.stderr)
    sys.exit(exit_code)


def condense_parse_error(message: str) -> str:
    """jsonargparse explains a bad value over a dozen lines (every type of a union it tried); the user needs
    one: the flag, the value, and what is allowed."""
    section = re.search(r'Parser key "([\w.]+)"', message)
    unknown_class = re.search(r"Expected a dot import path string: (\S+)", message)
    if section and unknown_class and section[1] in ("model", "data"):
        base = GradientDescentExample if section[1] == "model" else TensorDataModule
        choices = ", ".join(_subclass_names(base))
        return f"--{section[1]} {unknown_class[1]}: no such class; choose one of {choices}"
    nested = re.findall(r"NestedArg\(key='([\w.]+)', val='(.*?)'\)", message)
    given = re.search(r"(?:Got|Given) value: (.*)", message)
    if section and (nested or given):
        flag, value = (
            (f"--{section[1]}.{nested[-1][0]}", nested[-1][1]) if nested else (f"--{section[1]}", given[1])
        )
        expected = re.findall(r"Expected a (<class '(\w+)'>|typing\.Literal\[(.*?)\])", message)
        allowed = [name or literal for _, name, literal in expected if name != "NoneType"]
        return f"{flag} {value}: expected {' or '.join(dict.fromkeys(allowed)) or 'another value'}"
    return " ".join(message.split())


def _subclass_names(base: type) -> list[str]:
    found, pending = set(), [base]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found.add(subclass.__name__)
            pending.append(subclass)
    return sorted(found)


def _reported_error(error: BaseException | None) -> InputError | TrainingStopped | None:
    """The error to report in one line behind an exception that jsonargparse or Lightning may have wrapped."""
    while error is not None and not isinstance(error, (InputError, TrainingStopped)):
        error = error.__cause__ or error.__context__
    return error


def run_cli(args: ArgsType = None, run: bool = True) -> LitGdCLI:
    """LitGdCLI with lit-gd's defaults; ``run=False`` only builds the model, data and trainer."""
    return LitGdCLI(
        GradientDescentExample,
        TensorDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        seed_everything_default=0,
        parser_kwargs={"exit_on_error": False},  # parse errors come to main() as ArgumentError
        trainer_defaults={
            "log_every_n_steps": 1,
            "num_sanity_val_steps": 0,
            "use_distributed_sampler": False,  # TensorDataModule shares the points out itself, by slicing
            "callbacks": [HParamsLogger(), PredictionWriter()],
        },
        args=args,
        run=run,
    )


if __name__ == "__main__":
    main()
