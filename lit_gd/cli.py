"""``lit-gd``: LightningCLI over every example.

lit-gd fit --config configs/linear_regression.yaml
lit-gd fit --model NotGate --data NotGateData --trainer.max_epochs 5
lit-gd fit --config configs/not_gate.yaml --print_config
"""

import gc
import itertools
import logging
import os
import shlex
import sys
import threading
import warnings
from argparse import ArgumentError
from datetime import timedelta
from pathlib import Path

import torch
import yaml
from jsonargparse import Namespace
from lightning.pytorch import Callback, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint, ProgressBar
from lightning.pytorch.cli import ArgsType, LightningArgumentParser, LightningCLI
from lightning.pytorch.utilities.exceptions import SIGTERMException

from lit_gd.callbacks import (
    CALLBACK_HOOKS,
    FigureLogger,
    HParamsLogger,
    LastCheckpoint,
    ParameterHistograms,
    PredictionWriter,
    StepLogger,
    skip_idle_checkpoint_hooks,
)
from lit_gd.data import TensorDataModule
from lit_gd.errors import InputError, LitGdError, TrainingStopped
from lit_gd.examples import EXAMPLES, example_name  # the registry: every example's classes, known by name
from lit_gd.failures import (
    LAUNCHED_BY_LIGHTNING,
    end_with_launcher,
    fail,
    keep_writer_errors,
    one_line_error,
    refused_setting,
    reported_cause,
)
from lit_gd.flags import (
    as_flag,
    check_checkpoint_files,
    check_counts,
    check_list_appends,
    check_optimizer_settings,
    check_profiler,
    check_root_folder_free,
    check_sections,
    check_seed,
    check_stepping,
    check_trainer_settings,
    check_validation_batch,
    condense_instantiation_error,
    condense_parse_error,
    config_file_problem,
    constructor_default,
    hint,
    import_class,
    known_model,
    on_command_line,
    set_in_config_files,
)
from lit_gd.guards import DeadReLUMonitor, DivergenceGuard, GracefulInterrupt, SaturationMonitor
from lit_gd.logger import TensorBoardLoggerWithoutEpoch
from lit_gd.module import GradientDescentExample, skip_idle_hooks
from lit_gd.profiler import NullProfiler
from lit_gd.progress import ThrottledProgressBar
from lit_gd.runs import (
    LOG_DIR,
    check_checkpoint_fits,
    check_run_name,
    claim_run_folder,
    evaluation_folder,
    first_free,
    fit_run_label,
    fit_summary,
    installed_command,
    newest_checkpoint,
    read_checkpoint,
    release_run_folder,
)
from lit_gd.story import StoryWriter

# Silenced, each for a reason: in-memory tensors cut into whole batches gain nothing from worker processes;
# the others are deprecations inside Lightning 2.6 itself (of torch's pytree API, torchmetrics' update flag,
# jsonargparse calls) and in torch's TensorBoard graph tracer, that a user of lit-gd can do nothing about.
warnings.filterwarnings("ignore", message=r"The '\w+_dataloader' does not have many workers")
warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")
warnings.filterwarnings("ignore", message=r"This property will be removed in 2.0.0. Use `Metric.updated_")
warnings.filterwarnings("ignore", message=r"`torch.jit.trace(_method)?` is deprecated")
# Said by Lightning of what lit-gd does on purpose: --optimizer replaces the example's SGD, and a resumed run
# writes its checkpoints in a folder of its own
warnings.filterwarnings("ignore", message=r"`.*configure_optimizers` will be overridden by")
warnings.filterwarnings("ignore", message=r"The dirpath has changed from")
# The examples' step draws its own batch and steps by hand (GradientDescentExample.training_step): on purpose
warnings.filterwarnings("ignore", message=r"You are using the `dataloader_iter` step flavor")
warnings.filterwarnings("ignore", message=r"Found `dataloader_iter` argument in the `training_step`")
warnings.filterwarnings("ignore", message=r"The lr scheduler dict contains the key\(s\) \['monitor'\]")
# lit-gd hands LightningCLI the command line itself (with an example's config put first): not a mistake
warnings.filterwarnings("ignore", message=r"LightningCLI's args parameter is intended to run from within")
os.environ.setdefault("JSONARGPARSE_DEPRECATION_WARNINGS", "off")


class _NoTips(logging.Filter):
    """Lightning's advertisement for its cloud logger, printed at every run."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("💡 Tip")


logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(_NoTips())


class LitGdCLI(LightningCLI):
    def __init__(self, *args, **kwargs) -> None:
        given = kwargs.get("args")
        self.given_subcommand = given[0] if isinstance(given, list) and given else None
        self.run_folder: Path | None = None  # where this command writes, once known
        try:
            super().__init__(*args, **kwargs)
        except BaseException:  # refused before it wrote anything (a setting, a checkpoint): no empty run left
            if self.run_folder is not None:
                release_run_folder(self.run_folder)
            raise

    def subcommands(self) -> dict[str, set[str]]:
        """Lightning's four, or only the one the command line begins with: each parser takes some 50 ms to
        build, and the others would serve only ``lit-gd --help`` and a mistyped subcommand."""
        every = LightningCLI.subcommands()
        given = self.given_subcommand
        return {given: every[given]} if given in every else every

    def init_parser(self, **kwargs) -> LightningArgumentParser:
        # The main parser and each subcommand's: no flag is taken for another it begins (max_epoch)
        return super().init_parser(allow_abbrev=False, **kwargs)

    # lit-gd's callbacks, each a section of the config and its flags (--histograms.every_n_steps)
    SECTIONS = {
        "step_logger": StepLogger,
        "histograms": ParameterHistograms,
        "figures": FigureLogger,
        "divergence": DivergenceGuard,
        "dead_relu": DeadReLUMonitor,
        "saturation": SaturationMonitor,
        "story": StoryWriter,
        "checkpoint": ModelCheckpoint,
        "last_checkpoint": LastCheckpoint,
    }

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        for section, callback in self.SECTIONS.items():
            parser.add_lightning_class_args(callback, section)
        parser.add_argument(
            "--log_graph", type=bool, default=True, help="Draw the model's graph in TensorBoard."
        )
        parser.add_argument(
            "--run_name",
            type=str | None,
            default=None,
            help="The fit run's folder name after its number, logs/<example>/NNN-<run_name> (default: the"
            " settings that differ from the example's config, such as lr=0.03, or 'defaults').",
        )
        # Two files, not one at every epoch of a 1000-epoch tiny run: the best by val/loss, rewritten when a
        # validation improves on it (each config sets how often it validates), and last.ckpt when fit ends.
        parser.set_defaults(
            {
                "checkpoint.monitor": "val/loss",
                "checkpoint.filename": "best-{epoch}",
                "last_checkpoint.save_last": True,
                "last_checkpoint.save_top_k": 0,
                "last_checkpoint.train_time_interval": timedelta(seconds=60),
            }
        )
        # The figures are drawn from what the step logger recorded
        parser.link_arguments("step_logger", "figures.step_logger", apply_on="instantiate")
        # The divergence guard checks each step's loss and gradient norms in the step logger's row
        parser.link_arguments("step_logger", "divergence.step_logger", apply_on="instantiate")
        # The story's table of steps comes from the same record, and its diagnoses from the guards
        parser.link_arguments("step_logger", "story.step_logger", apply_on="instantiate")
        parser.link_arguments(
            ("divergence", "dead_relu", "saturation"),
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

    @property
    def step_logger(self) -> StepLogger:
        """The StepLogger of this run: every step's loss, parameters, gradients and gradient norms."""
        return self._get(self.config_init, "step_logger")

    def parse_arguments(self, parser: LightningArgumentParser, args: ArgsType) -> None:
        self.argv = list(args) if isinstance(args, (list, tuple)) else sys.argv[1:]
        check_list_appends(self.argv)
        try:
            super().parse_arguments(parser, args)
        except ArgumentError as error:  # condensed here, where the parser can say which flags exist
            message = condense_parse_error(str(error), self.argv)
            if "config" in message:  # which file, where jsonargparse names none
                message = config_file_problem(self.argv) or message
            raise ArgumentError(None, message + hint(message, parser)) from None
        self.checkpoint: dict | None = None
        subcommand = self.config.get("subcommand")
        config = self.config.get(subcommand or "", {})
        check_sections(config, ["trainer", *self.SECTIONS])
        check_seed(config.get("seed_everything"))
        if config.get("ckpt_path") == "":
            raise InputError(
                "--ckpt_path '': give a checkpoint file, or 'last' for the newest run's newest one"
            )
        if config.get("ckpt_path"):
            self._check_checkpoint(config, resumable=subcommand == "fit")

    def _check_checkpoint(self, config: Namespace, resumable: bool) -> None:
        """Before LightningCLI reads the checkpoint's hyperparameters into the config (where they would win
        over the user's flags): resolve 'last', refuse a checkpoint that cannot serve, and refuse flags that
        contradict it."""
        asked = config["model"]["class_path"]
        model_class = known_model(asked)
        given = config["ckpt_path"]
        path = Path(given) if given != "last" else newest_checkpoint(example_name(model_class))
        self.checkpoint = read_checkpoint(path, resumable)
        hparams = self.checkpoint.get("hyper_parameters", {})
        held = hparams.get("_class_path", asked)
        held_class = known_model(held)  # found by name: nothing a file names is imported
        if held_class is not model_class:
            what = held if held_class is None else f"{held} ({example_name(held_class)})"
            raise InputError(
                f"--ckpt_path {path} holds a model of class {what} but the config asks for {asked}"
                f" ({example_name(model_class)}): give a checkpoint of that example, or its own config"
            )
        for key, value in config["model"]["init_args"].items():
            theirs = hparams.get(key, value)
            if (
                key != "in_features"
                and theirs != value
                and self._chosen(f"--model.{key}", value, model_class)
            ):
                raise InputError(
                    f"--model.{key} {as_flag(value)} contradicts the checkpoint {path}, trained with {key}"
                    f" {as_flag(theirs)}:"
                    " leave the flag out to take the checkpoint's value"
                )
        config["ckpt_path"] = str(path)
        if not LAUNCHED_BY_LIGHTNING:
            doing = "resuming from" if resumable else "using"
            print(f"lit-gd: {doing} {path}, saved at step {self.checkpoint['global_step']}", file=sys.stderr)

    def _chosen(self, flag: str, value, owner: type) -> bool:
        """Whether the user chose a value: a flag on the command line, or a value from a config file that
        differs from the class's default."""
        if on_command_line(self.argv, flag):
            return True
        return value != constructor_default(owner, flag.rpartition(".")[2])

    def instantiate_classes(self) -> None:
        try:
            super().instantiate_classes()
        except ValueError as error:  # jsonargparse's, where a class given in the config refused its arguments
            condensed = None if reported_cause(error) else condense_instantiation_error(str(error))
            if condensed is None:  # lit-gd's own refusal (said as it is), or a bug
                raise
            raise InputError(condensed) from None

    def after_instantiate_classes(self) -> None:
        if self.checkpoint is not None:
            check_checkpoint_fits(self._get(self.config, "ckpt_path"), self.checkpoint, self.model)

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        if config.get("lr_scheduler") and not config.get("optimizer"):
            # LightningCLI would silently keep the model's own optimizer and drop the schedule
            raise InputError("--lr_scheduler needs --optimizer too, e.g. --optimizer SGD --optimizer.lr 0.01")
        if on_command_line(self.argv, "--model.in_features"):
            raise InputError("--model.in_features is set by lit-gd from the data's columns: leave it out")
        # before jsonargparse makes a profiler given by class (Lightning's XLA one fails as it is made)
        check_profiler(config["trainer"].get("profiler"))
        check_checkpoint_files(config)
        check_counts(config)
        optimizer = config.get("optimizer")
        if optimizer:
            self._lr_to_optimizer(optimizer, config["model"])
            check_optimizer_settings(optimizer, config.get("lr_scheduler"))

    def _lr_to_optimizer(self, optimizer: Namespace, model: Namespace) -> None:
        """--model.lr is the lr of whichever optimizer runs, unless --optimizer.lr says otherwise."""
        model_class, lr = known_model(model["class_path"]), model["init_args"]["lr"]
        if "lr" not in optimizer["init_args"] or model_class is None:
            return
        optimizer_lr = optimizer["init_args"]["lr"]
        given = self._chosen("--optimizer.lr", optimizer_lr, import_class(optimizer["class_path"]))
        if not (given or set_in_config_files(self.argv, "optimizer", "lr")):
            if self._chosen("--model.lr", lr, model_class):
                optimizer["init_args"]["lr"] = lr

    def instantiate_trainer(self, **kwargs) -> Trainer:
        config = self._get(self.config_init, "trainer")
        # the settings lit-gd carries out or replaces, checked before a run folder is claimed
        stepping = check_stepping(
            config.get("accumulate_grad_batches", 1),
            config.get("gradient_clip_val"),
            config.get("gradient_clip_algorithm"),
        )
        check_trainer_settings(config)
        logger, root = config.get("logger"), config.get("default_root_dir")
        if config.get("fast_dev_run"):  # Lightning's check of a few batches, which logs and keeps nothing
            kwargs["logger"] = False
        elif logger is False and root is not None:  # no TensorBoard, the user's folder: Lightning's way
            check_root_folder_free(Path(root), self.evaluating)
            self._keep_config_beside_a_run(Path(root))
        elif logger in (None, True, False):
            folder = self.run_folder = self._run_folder()
            if logger is False:  # no TensorBoard; the run's checkpoints and config in its folder all the same
                kwargs["default_root_dir"] = folder
            else:
                kwargs["logger"] = TensorBoardLoggerWithoutEpoch(
                    folder.parent,
                    name="",
                    version=folder.name,
                    default_hp_metric=False,
                    log_graph=self._get(self.config, "log_graph") and not self.evaluating,
                    evaluated_step=self.checkpoint["global_step"]
                    if self.evaluating and self.checkpoint
                    else None,
                )
            self._keep_config_beside_a_run(folder)
        given = config.get("callbacks") or []
        given = given if isinstance(given, list) else [given]
        # lit-gd's bar (Lightning's, drawn at most ten times a second) on a terminal, unless the bar is off or
        # one is given; redirected to a file, none (tqdm's carriage returns make a log unreadable)
        bar_given = any(isinstance(c, ProgressBar) for c in given)
        bar_wanted = config.get("enable_progress_bar") is not False and (bar_given or stderr_is_a_terminal())
        bar = [ThrottledProgressBar()] if bar_wanted and not bar_given else []
        kwargs["enable_progress_bar"] = bar_wanted
        if config.get("profiler") is None:  # Lightning's default, without a new context around every hook
            kwargs["profiler"] = NullProfiler()
        if config.get("enable_model_summary") is None:  # a table of layers, where the model has some
            kwargs["enable_model_summary"] = any(
                any(True for _ in m.parameters()) for m in self.model.children()
            )
        # The model's step carries out accumulation and clipping (manual optimization): Lightning's Trainer
        # refuses them under it
        self.model.stepping(*stepping)
        kwargs |= {"accumulate_grad_batches": 1, "gradient_clip_val": None, "gradient_clip_algorithm": None}
        interrupt = GracefulInterrupt(self._get(self.config_init, "last_checkpoint"))
        kwargs["callbacks"] = [*given, *bar, interrupt]
        try:
            trainer = super().instantiate_trainer(**kwargs)
        except (ValueError, TypeError) as error:  # Lightning refuses some settings so (--trainer.num_nodes 0)
            raise refused_setting(error) from None
        if not self.evaluating:
            check_validation_batch(trainer, self.datamodule.training_batches(trainer.world_size))
        if self.subcommand == "predict" and trainer.world_size > 1:
            raise InputError(
                f"predict writes one table of predictions from one process, not {trainer.world_size}: give"
                " --trainer.devices 1 (and --trainer.num_nodes 1)"
            )
        for callback in trainer.callbacks:  # Lightning's own (checkpoints, bar, summary) among them
            skip_idle_hooks(callback, Callback, CALLBACK_HOOKS)
            if isinstance(callback, ModelCheckpoint):
                skip_idle_checkpoint_hooks(callback, trainer)
        return trainer

    def _keep_config_beside_a_run(self, folder: Path) -> None:
        """A fit run evaluated: this command's config is saved beside the run's, not over it."""
        if (folder / "config.yaml").exists():
            config_file = first_free(folder / f"{self.subcommand}-config.yaml")
            self.save_config_kwargs = {**self.save_config_kwargs, "config_filename": config_file.name}

    @property
    def evaluating(self) -> bool:
        """validate, test or predict."""
        return self.subcommand not in (None, "fit")

    def _run_folder(self) -> Path:
        """A fit's new folder, ``logs/<example>/NNN-<what differs>``; for validate, test and predict, the
        folder of the run whose checkpoint they evaluate (see ``evaluation_folder``)."""
        example = example_name(type(self.model))
        run_name = self._get(self.config, "run_name")
        if run_name is not None:
            check_run_name(run_name)
        if self.evaluating:
            checkpoint = self._get(self.config, "ckpt_path")
            return evaluation_folder(example, self.subcommand, checkpoint and Path(checkpoint), run_name)
        config_file = CONFIGS / f"{example}.yaml"
        reference = yaml.safe_load(config_file.read_text()) if config_file.is_file() else {}
        label = run_name or fit_run_label(self.config.get(self.subcommand, self.config), reference)
        return claim_run_folder(Path(LOG_DIR, example), label)

    def fit(self, **kwargs) -> None:
        """``trainer.fit``; a run stopped by a signal prints its summary too (its steps so far are kept) and
        says the command that goes on from where it stopped."""
        try:
            self.trainer.fit(**kwargs)
        except TrainingStopped as stopped:
            if not stopped.signalled:
                raise
            self._print_summary()
            keeper = self._get(self.config_init, "last_checkpoint")
            last = Path(keeper.format_checkpoint_name({}, keeper.CHECKPOINT_NAME_LAST))
            if not (keeper.save_last and last.is_file()):
                raise
            raise TrainingStopped(
                f"{stopped}; to go on: {self._resume_command(last)}", stopped.exit_code
            ) from None

    def _resume_command(self, checkpoint: Path) -> str:
        """The command line of this run with ``--ckpt_path`` the checkpoint it left."""
        kept = [
            word
            for before, word in itertools.pairwise(["", *self.argv])
            if "--ckpt_path" not in (before, word.partition("=")[0])  # the flag and its value
        ]
        return shlex.join([installed_command("lit-gd"), *kept, "--ckpt_path", str(checkpoint)])

    def after_fit(self) -> None:
        self._print_summary()

    def _print_summary(self) -> None:
        summary = fit_summary(self.trainer, self.model)  # on every process: trainer.log_dir is collective
        if self.trainer.is_global_zero:
            print(summary)


def main(args: ArgsType = None) -> None:
    """The ``lit-gd`` console script; tests call it with an argument list. A user's mistake, or a run that
    had to stop, ends with one line on stderr and a non-zero exit, never a traceback."""
    if args is None:  # the console script: one run, then the process ends
        # What the imports made lives as long as the process: the collector need not walk it again at each
        # full collection, nor at exit (together over a second of a default fit on a 2-core machine)
        gc.freeze()
    if LAUNCHED_BY_LIGHTNING:
        end_with_launcher()
    try:
        run_reported(args)
    except LitGdError as reported:
        fail(reported)
    finally:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            # Under DDP the process group is shut down here, not by the interpreter's exit, where gloo's
            # threads now and then abort the process ("terminate called without an active exception")
            torch.distributed.destroy_process_group()


def run_reported(args: ArgsType = None) -> LitGdCLI:
    """``run_cli``, every error the user must hear raised as the LitGdError of its one line (``main`` prints
    it, ``lit_gd.fit`` raises it), a file TensorBoard's writer thread could not write among them; any other
    exception, a bug, as it is."""
    previous_hook, writer_errors = threading.excepthook, keep_writer_errors()
    try:
        cli = run_cli(args)
        if writer_errors:  # TensorBoard's writer thread failed (a full disk): the run is not whole
            raise writer_errors[0]
        return cli
    except (Exception, KeyboardInterrupt, SIGTERMException) as error:
        reported = one_line_error(error)
        if reported is None:
            raise
        raise reported.with_traceback(None) from None
    finally:
        threading.excepthook = previous_hook


def stderr_is_a_terminal() -> bool:
    return sys.stderr.isatty()


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
        args=with_example_config(sys.argv[1:] if args is None else args),
        run=run,
    )


CONFIGS = Path(__file__).resolve().parents[1] / "configs"  # in a clone of the repository


def with_example_config(args: ArgsType) -> ArgsType:
    """An example named by its classes alone (``fit --model NotGate --data NotGateData``) trains as its
    config says (5 steps for the NOT gate, not Lightning's default 1000 epochs): its config comes first,
    and every config and flag given still applies after it."""
    if not isinstance(args, list):
        return args
    given = {flag: args[i + 1] for i, flag in enumerate(args[:-1]) if flag in ("--model", "--data")}
    for name, (model, data) in EXAMPLES.items():
        named = given.get("--model") in (model.__name__, f"lit_gd.{model.__name__}")
        if named and given.get("--data") in (data.__name__, f"lit_gd.{data.__name__}"):
            config = CONFIGS / f"{name}.yaml"
            return [args[0], "--config", str(config), *args[1:]] if config.is_file() else args
    return args


if __name__ == "__main__":
    main()
