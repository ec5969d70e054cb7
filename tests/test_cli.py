"""The ``lit-gd`` entry point in-process: every config fits and validates, classes resolve by name, runs
never overwrite each other, and fit ends with a summary."""

import shlex
from datetime import timedelta
from pathlib import Path

import pytest
from lightning.pytorch import Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.profilers import SimpleProfiler

import lit_gd as package
from lit_gd.callbacks import FigureLogger, ParameterHistograms, StepLogger, skip_idle_checkpoint_hooks
from lit_gd.cli import run_cli
from lit_gd.examples import EXAMPLES
from lit_gd.flags import subclasses
from lit_gd.guards import DivergenceGuard
from lit_gd.module import GradientDescentExample
from lit_gd.profiler import NullProfiler
from lit_gd.runs import claim_run_folder, release_run_folder
from tests.examples import EXPECTED
from tests.helpers import CONFIGS, REPO, fit_cli, lit_gd, lit_gd_fails, run_folder, scalars


def test_every_config_has_a_row():
    """A new config is tested the moment it exists: every test parametrised over the table runs it."""
    assert not set(CONFIGS) - set(EXPECTED), "configs/<name>.yaml without a row in tests/examples.py"
    assert not set(EXPECTED) - set(CONFIGS), "rows of tests/examples.py without a configs/<name>.yaml"


def test_every_example_is_registered_exported_and_has_a_config():
    defined = {
        model for model in subclasses(GradientDescentExample) if model.__module__.startswith("lit_gd.")
    }
    assert not defined - {model for model, _ in EXAMPLES.values()}, "models missing from the registry"
    assert not set(EXAMPLES) ^ set(CONFIGS), "registry names and configs/<name>.yaml differ"
    for name, classes in EXAMPLES.items():
        config = (REPO / "configs" / f"{name}.yaml").read_text()
        for cls in classes:
            assert f"class_path: lit_gd.{cls.__name__}" in config, f"configs/{name}.yaml does not name {cls}"
            assert getattr(package, cls.__name__, None) is cls, f"{cls} is not exported from lit_gd"
            assert cls.__name__ in package.__all__, f"{cls.__name__} is not in lit_gd.__all__"


@pytest.mark.parametrize("example", EXPECTED)
def test_config_fits_and_validates(example, capsys):
    lit_gd(f"fit --config configs/{example}.yaml --config configs/presets/fast.yaml")
    run = run_folder(example, 0)
    assert (run / "config.yaml").is_file()
    assert len(scalars(run)["train/loss"]) == 2
    summary = capsys.readouterr().out
    assert f"{example}: 2 steps" in summary
    assert f"tensorboard --logdir {run}" in summary

    # no checkpoint: the untrained model, in a folder that is not a fit run's
    lit_gd(f"validate --config configs/{example}.yaml")
    assert "val/loss" in scalars(Path("logs", example, "evaluations", "000-validate-untrained"))
    assert sorted(Path("logs", example).iterdir()) == [run, Path("logs", example, "evaluations")]


def test_classes_resolve_by_name():
    lit_gd("fit --model NotGate --data NotGateData --trainer.max_epochs 1")
    assert (run_folder("not_gate", 0) / "config.yaml").is_file()


def test_an_example_by_its_class_names_alone_trains_as_its_config_does(capsys):
    lit_gd("fit --model NotGate --data NotGateData")
    assert "not_gate: 5 steps" in capsys.readouterr().out  # the config's 5 epochs, not Lightning's 1000


def test_every_constructor_argument_is_a_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        lit_gd("fit --config configs/not_gate.yaml --model.lr 2.5 --data.batch_size 1 --print_config")
    assert exit_info.value.code == 0
    printed = capsys.readouterr().out
    assert "lr: 2.5" in printed and "batch_size: 1" in printed and "seed_everything: 0" in printed


@pytest.mark.parametrize(
    "subcommand, own_flag",
    [
        ("fit", "--ckpt_path"),
        ("validate", "--verbose"),
        ("test", "--verbose"),
        ("predict", "--return_predictions"),
    ],
)
def test_help_lists_every_subcommand_and_each_its_own_flags(subcommand, own_flag, capsys):
    """lit-gd builds the parser of the subcommand given only: the main help still lists all four, and each
    subcommand's help its own flags and the shared ones."""
    with pytest.raises(SystemExit) as exit_info:
        lit_gd("--help")
    assert exit_info.value.code == 0
    assert "{fit,validate,test,predict}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        lit_gd(f"{subcommand} --help")
    assert exit_info.value.code == 0
    printed = capsys.readouterr().out
    assert f"lit-gd [options] {subcommand}" in printed
    assert own_flag in printed and "--trainer.max_epochs" in printed and "--model.help" in printed


def test_runs_never_overwrite_each_other():
    first = fit_cli("not_gate", "--trainer.max_epochs 1")
    second = fit_cli("not_gate", "--trainer.max_epochs 2")
    assert (first.name, second.name) == ("000-max_epochs=1", "001-max_epochs=2")
    assert len(scalars(first)["train/loss"]) == 1 and len(scalars(second)["train/loss"]) == 2
    assert all((run / "checkpoints" / "last.ckpt").is_file() for run in (first, second))


def test_runs_without_tensorboard_or_as_a_quick_check_keep_to_logs(capsys):
    """Without a logger, Lightning writes a run's config and checkpoints in the current folder, where the
    next run's would meet them: lit-gd gives such a run its folder all the same. ``fast_dev_run``, Lightning's
    check of a few batches, keeps nothing anywhere."""
    for _ in range(2):
        lit_gd("fit --config configs/not_gate.yaml --trainer.logger false --trainer.max_epochs 2")
    runs = sorted(Path("logs/not_gate").iterdir())
    assert [run.name for run in runs] == ["000-max_epochs=2", "001-max_epochs=2"]
    assert all(
        (run / "config.yaml").is_file() and (run / "checkpoints" / "last.ckpt").is_file() for run in runs
    )
    for _ in range(2):
        lit_gd("fit --config configs/linear_regression.yaml --trainer.fast_dev_run true")
    assert sorted(path.name for path in Path().iterdir()) == ["configs", "logs"]
    assert [folder.name for folder in Path("logs").iterdir()] == ["not_gate"]
    # without TensorBoard, a folder of the user's choosing is Lightning's (with it, refused: test_errors);
    # a second fit there would write over the first's last.ckpt, an evaluation writes beside it
    mine = "--trainer.logger false --trainer.default_root_dir mine"
    lit_gd(f"fit --config configs/not_gate.yaml {mine}")
    assert (Path("mine") / "config.yaml").is_file() and (Path("mine") / "checkpoints" / "last.ckpt").is_file()
    first = (Path("mine") / "checkpoints" / "last.ckpt").read_bytes()
    status, message = lit_gd_fails(
        f"fit --config configs/not_gate.yaml {mine} --trainer.max_epochs 9", capsys
    )
    assert (status, message) == (
        1,
        "lit-gd: error: --trainer.default_root_dir mine already holds a run (mine/config.yaml): give a folder"
        " of its own to every fit, or leave the setting out for a new folder under logs/",
    )
    assert (Path("mine") / "checkpoints" / "last.ckpt").read_bytes() == first
    lit_gd(f"test --config configs/not_gate.yaml {mine} --ckpt_path mine/checkpoints/last.ckpt")
    assert (Path("mine") / "test-config.yaml").is_file()


def test_a_replaced_optimizer_takes_the_lr_chosen_for_the_model_or_keeps_its_own():
    """``--optimizer`` without ``--optimizer.lr``: the model's lr where one was chosen, the optimizer's own
    default otherwise (LBFGS's 1), and an lr given for the optimizer in a config, even torch's default, as
    given (a run's saved config.yaml reruns it)."""
    Path("adam.yaml").write_text("optimizer:\n  class_path: torch.optim.Adam\n  init_args:\n    lr: 0.001\n")
    for flags, lr in (
        ("--optimizer LBFGS", 1.0),
        ("--optimizer SGD --model.lr 0.05", 0.05),
        ("--optimizer SGD --model.lr 0.05 --optimizer.lr 0.2", 0.2),
        ("--config adam.yaml --model.lr 0.05", 0.001),
    ):
        cli = run_cli(["--config", "configs/linear_regression.yaml", *shlex.split(flags)], run=False)
        assert cli.model.configure_optimizers().param_groups[0]["lr"] == lr, flags


def test_checkpoint_names_may_hold_lit_gds_metrics():
    """``val/loss`` holds a slash: a filename that names it is no folder (Lightning fills it in)."""
    flags = ["--checkpoint.filename", "best-{val/loss:.3f}", "--checkpoint.auto_insert_metric_name", "false"]
    cli = run_cli(["--config", "configs/linear_regression.yaml", *flags], run=False)
    assert cli.trainer.checkpoint_callback.filename == "best-{val/loss:.3f}"


def test_validation_by_time_runs():
    """A time-based ``--trainer.val_check_interval`` leaves the trainer no batch count for lit-gd to check."""
    run = fit_cli("linear_regression", "--trainer.max_epochs 3 --trainer.val_check_interval 00:00:00:01")
    assert len(scalars(run)["train/loss"]) == 3


def test_a_refused_run_gives_back_only_its_empty_folder():
    """``release_run_folder`` removes a run folder that nothing was written to, and its parent left empty;
    it keeps one that holds anything, and says nothing of one already gone: the refusal is what the user
    must see."""
    runs = Path("logs/not_gate")
    empty, written = claim_run_folder(runs, "refused"), claim_run_folder(runs, "started")
    (written / "events.out.tfevents").write_bytes(b"")
    evaluation = claim_run_folder(runs / "evaluations", "test-untrained")
    for folder in (empty, written, empty, evaluation):
        release_run_folder(folder)
    assert [run.name for run in runs.iterdir()] == ["001-started"]  # evaluations/ went with its only run


def test_same_command_gives_same_numbers():
    first = scalars(fit_cli("bce_classifier", "--trainer.max_epochs 20"))
    second = scalars(fit_cli("bce_classifier", "--trainer.max_epochs 20"))
    assert first["train/loss"] == second["train/loss"]
    assert first["param/fc1.weight.0.0"] == second["param/fc1.weight.0.0"]


def test_test_and_predict_from_a_checkpoint_write_under_its_run(capsys):
    run = fit_cli("linear_regression", "--trainer.max_epochs 3")
    config = (run / "config.yaml").read_bytes()
    ckpt = run / "checkpoints" / "last.ckpt"
    for _ in range(2):
        lit_gd(f"test --config configs/linear_regression.yaml --ckpt_path {ckpt}")
        lit_gd(f"predict --config configs/linear_regression.yaml --ckpt_path {ckpt}")
    written = scalars(run)
    assert [step for step, _ in written["test/mse"]] == [3, 3]  # at the checkpoint's step, beside its curves
    assert len(written["train/loss"]) == 3
    assert list(Path("logs/linear_regression").iterdir()) == [run]  # no run of their own
    assert (run / "config.yaml").read_bytes() == config  # nothing of the fit overwritten
    kept = ["test-config.yaml", "test-config-2.yaml", "predictions.csv", "predictions-2.csv"]
    assert all((run / name).is_file() for name in kept)
    printed = capsys.readouterr()
    assert printed.out.count("x,prediction\n") == 2 and "written" not in printed.out  # stdout: the CSV
    assert f"lit-gd: predictions written to {run}/predictions-2.csv" in printed.err


@pytest.mark.parametrize(
    ("flags", "name"),
    [
        ("", "defaults"),
        ("--model.lr 0.03 --data.batch_size 2", "lr=0.03,batch_size=2"),
        ("--model.bias false --data.x [1,2,3,5] --data.y [2,4,6,10]", "bias=false,x=1+2+3+5,y=2+4+6+10"),
        ("--optimizer Adam --optimizer.lr 0.1", "optimizer=Adam,lr=0.1"),
        ("--optimizer SGD --model.lr 0.05 --optimizer.momentum 0.9", "lr=0.05,optimizer=SGD,momentum=0.9"),
        ("--trainer.max_epochs 7 --seed_everything 3", "max_epochs=7,seed=3"),
        ("--config configs/presets/cpu.yaml --trainer.enable_progress_bar false", "defaults"),  # not training
        ("--model.lr 0.03 --run_name baseline", "baseline"),
        (  # at most 80 characters: the settings that fit whole
            "--model.lr 0.02 --data.x [1,2,3,4,5,6,7,8,9,10,11,12]"
            " --data.y [2,4,6,8,10,12,14,16,18,20,22,24] --trainer.max_epochs 7",
            "lr=0.02,x=1+2+3+4+5+6+7+8+9+10+11+12,y=2+4+6+8+10+12+14+16+18+20+22+24,...",
        ),
    ],
)
def test_a_run_is_named_by_what_differs_from_its_config(flags, name):
    cli = run_cli(["--config", "configs/linear_regression.yaml", *shlex.split(flags)], run=False)
    assert Path(cli.trainer.log_dir) == Path("logs/linear_regression", f"000-{name}")
    next_one = run_cli(["--config", "configs/linear_regression.yaml", *shlex.split(flags)], run=False)
    assert Path(next_one.trainer.log_dir).name == f"001-{name}"  # the same settings again: a new name


def test_hooks_left_as_lightnings_no_ops_are_skipped_and_the_others_kept():
    """Lightning calls every callback at every hook and skips one that is not callable: lit-gd sets the
    no-op ones to None, on its callbacks, Lightning's and the model (``skip_idle_hooks``, ``STEP_HOOKS``), and
    the checkpoints' hooks that cannot save under their settings (``skip_idle_checkpoint_hooks``)."""
    cli = run_cli(["--config", "configs/not_gate.yaml"], run=False)
    assert cli.step_logger.on_validation_start is None and callable(cli.step_logger.on_before_optimizer_step)
    best, last = cli.trainer.checkpoint_callbacks  # --checkpoint and --last_checkpoint
    assert best.on_train_batch_start is None and best.on_train_batch_end is None
    assert callable(best.on_validation_end) and callable(last.on_train_batch_end)  # the 60 s saves
    assert cli.model.on_train_batch_end is None and callable(cli.model.on_train_epoch_start)


def test_a_fit_without_a_profiler_gets_the_null_one_and_a_profiler_asked_for_profiles():
    """Lightning wraps every hook in ``trainer.profiler.profile``: a run that asks for no profiler gets
    ``NullProfiler`` (one context, made once); ``--trainer.profiler simple`` is Lightning's, and records."""
    quiet = run_cli(["--config", "configs/not_gate.yaml"], run=False)
    assert type(quiet.trainer.profiler) is NullProfiler
    assert quiet.trainer.profiler.profile("training_step") is quiet.trainer.profiler.profile("backward")
    flags = ["--trainer.max_epochs", "3", "--trainer.profiler", "simple"]
    profiled = run_cli(["--config", "configs/not_gate.yaml", *flags], run=False)
    profiled.trainer.fit(profiled.model, profiled.datamodule)
    assert isinstance(profiled.trainer.profiler, SimpleProfiler)
    assert len(profiled.trainer.profiler.recorded_durations["run_training_batch"]) == 3


EPOCH_AND_VALIDATION_END = {"on_train_epoch_end", "on_validation_end"}


@pytest.mark.parametrize(
    ("settings", "trainer_settings", "skipped"),
    [
        ({"monitor": "val/loss"}, {}, {"on_train_batch_end"}),  # --checkpoint: the best by val/loss
        # validating every 100 epochs, it saves at validations' ends only
        (
            {"monitor": "val/loss"},
            {"check_val_every_n_epoch": 100},
            {"on_train_batch_end", "on_train_epoch_end"},
        ),
        (
            {"monitor": "val/loss"},
            {"check_val_every_n_epoch": None, "val_check_interval": 10},
            {"on_train_batch_end", "on_train_epoch_end"},
        ),
        (
            {"monitor": "val/loss"},
            {"val_check_interval": timedelta(seconds=5)},
            {"on_train_batch_end", "on_train_epoch_end"},
        ),
        (
            {"monitor": "val/loss", "save_on_train_epoch_end": True},
            {"check_val_every_n_epoch": 100},
            {"on_train_batch_end"},
        ),
        (
            {"monitor": "val/loss", "save_on_train_epoch_end": False},
            {},
            {"on_train_batch_end", "on_train_epoch_end"},
        ),
        # --last_checkpoint: saves every 60 s, never at an epoch's or a validation's end
        (
            {"save_last": True, "save_top_k": 0, "train_time_interval": timedelta(seconds=60)},
            {},
            EPOCH_AND_VALIDATION_END,
        ),
        ({"save_top_k": 0, "every_n_train_steps": 5}, {}, {"on_train_batch_end", *EPOCH_AND_VALIDATION_END}),
        ({"every_n_train_steps": 5}, {}, EPOCH_AND_VALIDATION_END),
        ({"every_n_train_steps": 5, "monitor": "val/loss"}, {}, set()),  # a save deferred to validation's end
        ({"every_n_train_steps": 5, "save_last": "link"}, {}, set()),
        ({"save_last": True, "save_top_k": 0}, {}, {"on_train_batch_end"}),
    ],
)
def test_checkpoint_hooks_that_cannot_save_are_skipped(settings, trainer_settings, skipped):
    """A ModelCheckpoint saves at batch end only every ``every_n_train_steps`` or ``train_time_interval``, at
    an epoch's or a validation's end only every ``every_n_epochs`` (or a save deferred for its monitor, or a
    link), at a training epoch's end only where validation comes after every epoch (or it is told to), and
    nothing at all with ``save_top_k=0`` and no ``save_last``: those hooks are set to None."""
    checkpoint = ModelCheckpoint(**settings)
    trainer = Trainer(logger=False, enable_progress_bar=False, **trainer_settings)
    skip_idle_checkpoint_hooks(checkpoint, trainer)
    hooks = ["on_train_batch_end", "on_train_epoch_end", "on_validation_end", "on_train_end", "on_exception"]
    assert {hook for hook in hooks if getattr(checkpoint, hook) is None} == skipped


def test_hooks_with_nothing_to_do_in_a_fit_are_skipped_for_that_fit():
    """Set to None when training starts: the histograms of a model without a parameter of ``min_elements``,
    figures drawn only at the end, a guard turned off; given back for a fit that needs them."""
    model = EXAMPLES["relu_regression"][0]()  # 3 parameter elements in all
    histograms, figures = ParameterHistograms(), FigureLogger()
    guard = DivergenceGuard(StepLogger(), enabled=False)
    for callback in (histograms, figures, guard):
        callback.on_train_start(None, model)
    assert histograms.on_before_optimizer_step is figures.on_train_epoch_end is guard.on_before_optimizer_step
    assert guard.on_before_optimizer_step is None
    histograms.min_elements, figures.every_n_epochs, guard.enabled = 1, 10, True
    for callback in (histograms, figures, guard):
        callback.on_train_start(None, model)
    assert callable(histograms.on_before_optimizer_step) and callable(figures.on_train_epoch_end)
    assert callable(guard.on_before_optimizer_step)


@pytest.mark.parametrize(("epochs", "kept"), [(3, True), (4, False)])
def test_train_metric_records_go_once_logged(epochs, kept):
    """Lightning resets every record logged in training at the end of every epoch: the train metrics',
    logged at the epochs that validate (here the third), are dropped at the next epoch that does not
    (``GradientDescentExample._drop_logged_train_metrics``), under the names Lightning gives them."""
    flags = ["--trainer.max_epochs", str(epochs), "--trainer.check_val_every_n_epoch", "3"]
    cli = run_cli(["--config", "configs/relu_regression.yaml", *flags], run=False)
    cli.trainer.fit(cli.model, cli.datamodule)
    records = [key for key in cli.trainer.fit_loop.epoch_loop._results if "train/" in key]
    assert records == (
        ["on_train_epoch_end.train/mae", "on_train_epoch_end.train/mse", "on_train_epoch_end.train/r2"]
        if kept
        else []
    )
    assert cli.trainer.callback_metrics["train/mse"] > 0  # logged all the same


def test_the_summary_points_to_tensorboard_only_where_it_was_written(capsys):
    lit_gd("fit --config configs/not_gate.yaml --trainer.max_epochs 1")
    assert "  TensorBoard: " in capsys.readouterr().out
    csv = "--trainer.logger lightning.pytorch.loggers.CSVLogger --trainer.logger.save_dir csv"
    lit_gd(f"fit --config configs/not_gate.yaml --trainer.max_epochs 1 {csv}")
    assert "TensorBoard" not in capsys.readouterr().out
