"""``lit_gd.fit``: the run ``lit-gd fit`` builds, from Python, handing back the trained module, the run
folder and every step's values; a bad argument raises the CLI's one line, never SystemExit."""

import os
import traceback
from pathlib import Path

import numpy as np
import pytest

import lit_gd
from lit_gd import api
from tests.examples import EXPECTED
from tests.helpers import fit_cli, scalars
from tests.test_figures import NOT_GATE_LOSSES

QUIET = {"trainer.accelerator": "cpu", "trainer.enable_progress_bar": False}


def test_fit_hands_back_module_run_folder_every_step_and_figures(capsys):
    run = lit_gd.fit("not_gate", **QUIET)
    assert run.series["train/loss"].tolist() == pytest.approx(NOT_GATE_LOSSES, rel=1e-6)
    assert (run.module.w.item(), run.module.b.item()) == pytest.approx((2.243242, 1.768915), rel=1e-6)
    assert run.run_folder == Path("logs/not_gate/000-defaults")
    written = scalars(run.run_folder)
    for tag, values in run.series.items():  # what TensorBoard holds, one value per step
        assert isinstance(values, np.ndarray) and values.tolist() == [value for _, value in written[tag]]
    assert run.metrics["val/accuracy"] == 0.5
    assert sorted(run.figures()) == sorted(EXPECTED["not_gate"].figures)
    assert "not_gate: 5 steps" in capsys.readouterr().out  # the summary lit-gd prints


def test_keywords_are_the_command_lines_flags():
    run = lit_gd.fit("not_gate", lr=2, max_epochs=3, batch_size=1, **{"model.w": 0, "model.b": -1.5}, **QUIET)
    same = scalars(
        fit_cli(
            "not_gate", "--model.lr 2 --trainer.max_epochs 3 --data.batch_size 1 --model.w 0 --model.b -1.5"
        )
    )
    assert run.series["param/w"][0] == 0 and len(run.series["train/loss"]) == 6  # two points, one a step
    for tag, values in run.series.items():
        assert values.tolist() == [value for _, value in same[tag]], tag


def test_presets_stack_after_the_examples_config():
    run = lit_gd.fit("quadratic", config="configs/presets/fast.yaml", **QUIET)
    assert len(run.series["train/loss"]) == 2  # the preset's two epochs, not the config's 50


def test_examples_are_found_from_any_directory(tmp_path):
    """A notebook in examples/ runs with examples/ as its working directory: no configs/ there."""
    Path("notebooks").mkdir()
    os.chdir("notebooks")  # the fixture's monkeypatch.chdir restores the directory
    run = lit_gd.fit("not_gate", max_epochs=1, **QUIET)
    assert run.run_folder == Path("logs/not_gate/000-max_epochs=1") and run.run_folder.is_dir()


def test_a_missing_config_is_said_in_one_line(monkeypatch):
    Path("empty").mkdir()
    os.chdir("empty")
    monkeypatch.setattr(api, "CONFIGS", Path("/nowhere/configs"))
    with pytest.raises(lit_gd.InputError) as raised:
        lit_gd.fit("not_gate")
    assert str(raised.value) == (
        f"no configs/not_gate.yaml in {Path.cwd()} or /nowhere: run from lit_gd's checkout or give"
        " config='path/to/not_gate.yaml'"
    )


BAD = {  # keyword arguments -> the exception and its one line (the start of it)
    "unknown example": (
        {"example": "xor"},
        lit_gd.InputError,
        "no example named 'xor'; choose one of bce_classifier, linear_regression, logistic_regression,"
        " not_gate, quadratic, relu_regression, synthetic_regression, two_layer",
    ),
    "unknown keyword": (
        {"example": "not_gate", "epochs": 5},
        lit_gd.LitGdError,
        "unrecognized arguments: --epochs 5 (--help lists every flag)",
    ),
    "unknown model argument": (
        {"example": "not_gate", "model.ww": 1},
        lit_gd.LitGdError,
        "--model.ww 1: NotGate has no argument 'ww'; it takes lr, w, b, in_features",
    ),
    "unknown class": (
        {"example": "not_gate", "model": "Perceptron"},
        lit_gd.LitGdError,
        "--model Perceptron: no such class; choose one of BCEClassifier, LinearRegression,",
    ),
    "negative lr": (
        {"example": "not_gate", "lr": -1},
        lit_gd.InputError,
        "--model.lr must be a positive finite number, got -1.0",
    ),
    "lr not a number": (
        {"example": "not_gate", "lr": "fast"},
        lit_gd.LitGdError,
        "--model.lr fast: expected float",
    ),
    "bad batch size": (
        {"example": "not_gate", "batch_size": "half"},
        lit_gd.LitGdError,
        "--data.batch_size half: expected int or 'full'",
    ),
    "batch larger than the data": (
        {"example": "not_gate", "batch_size": 5},
        lit_gd.InputError,
        "--data.batch_size 5 is more than the 2 training points",
    ),
    "value that is no flag value": (
        {"example": "not_gate", "model.w": object()},
        lit_gd.InputError,
        "model.w=<object object at",
    ),
    "missing config": (
        {"config": "configs/nope.yaml"},
        lit_gd.LitGdError,
        'Parser key "config": File does not exist:',
    ),
    "bad trainer setting": (
        {"example": "not_gate", "max_epochs": -5},
        lit_gd.LitGdError,
        "`max_epochs` must be a non-negative integer or -1. You passed in -5.",
    ),
    "printing instead of training": (
        {"example": "not_gate", "help": True},
        lit_gd.InputError,
        "lit-gd fit printed and stopped (--help, --print_config): nothing was trained",
    ),
    "divergence": (
        {"example": "linear_regression", "lr": 1e6},
        lit_gd.TrainingStopped,
        "training diverged at step 3: the loss is inf",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_arguments_raise_the_one_line(case, capsys):
    arguments, error, message = BAD[case]
    with pytest.raises(error) as raised:
        lit_gd.fit(**arguments, **QUIET)
    assert str(raised.value).startswith(message), str(raised.value)
    assert "\n" not in str(raised.value)
    shown = "".join(traceback.format_exception(raised.value))  # what Jupyter shows: no chain, no internals
    assert shown.count("Traceback") == 1 and "site-packages" not in shown, shown
