"""Bad input gets one line naming the value and what is allowed, and a non-zero exit, never a traceback."""

import shlex
from pathlib import Path

import pytest
import torch

from lit_gd.cli import main
from tests.helpers import lit_gd, lit_gd_fails

LINEAR = "fit --config configs/linear_regression.yaml"
NOT_GATE = "fit --config configs/not_gate.yaml"
NOT_GATE_CKPT = "logs/not_gate/000-max_epochs=1/checkpoints/last.ckpt"
# each bad input or fault: (exit status, the start of the one line lit-gd prints)
CASES = {
    # learning rate
    f"{LINEAR} --model.lr -1": (1, "--model.lr must be a positive finite number, got -1.0"),
    f"{LINEAR} --model.lr 0": (1, "--model.lr must be a positive finite number, got 0.0"),
    f"{LINEAR} --model.lr nan": (2, "--model.lr nan: expected float"),
    # values as typed, not as parsed (1000.0), even those holding ': '
    f"{LINEAR} --trainer.max_epochs=1e3": (2, "--trainer.max_epochs 1e3: expected int"),
    f"{LINEAR} --data.y [1,nan,3,4]": (2, "--data.y [1,nan,3,4]: expected float, got nan"),
    f"{LINEAR} --model.lr '{{a: 1}}'": (2, "--model.lr {a: 1}: expected float"),
    f"{LINEAR} --optimizer.lr 0.1": (
        2,
        "--optimizer.lr 0.1: no --optimizer is chosen to take it: choose one first, such as --optimizer SGD",
    ),
    f"{LINEAR} --optimizer SGD --optimizer.lr nan": (2, "--optimizer.lr nan: expected float"),
    # the value refused, of a flag given twice, or in a mapping before the flag
    f"{LINEAR} --model.w 2 --model.w a": (2, "--model.w a: expected float"),
    f"{LINEAR} --trainer '{{max_epochs: a}}' --trainer.max_epochs 1": (
        2,
        "--trainer.max_epochs a: expected int",
    ),
    f"{LINEAR} --optimizer Foo": (
        2,
        "--optimizer Foo: no such class; give an optimizer of torch.optim, such as Adam",
    ),
    f"{LINEAR} --data.y abc": (2, "--data.y abc: expected a list, such as [1,2,3]"),
    f"{LINEAR} --data '{{x: [1, nan, 3, 4]}}'": (2, "--data.x nan: expected float"),  # a section as a mapping
    f"{LINEAR} --optimizer Adam --optimizer.betas [0.9]": (
        2,
        "--optimizer.betas [0.9]: expected a list of 2 values",
    ),
    f"{LINEAR} --lr_scheduler MultiStepLR --lr_scheduler.milestones abc": (
        2,
        "--lr_scheduler.milestones abc: expected a list, such as [1,2,3]",
    ),
    f"{LINEAR} --data.predict_inputs [1,2]": (
        2,
        "--data.predict_inputs [1,2]: expected rows, such as [[1,2],[3,4]]",
    ),
    f"{LINEAR} --data.x+ 5 --data.y+ 10": (  # jsonargparse would train on the one point (5, 10)
        2,
        "--data.x+ 5: appends to a list given before it, and none was (the example's own points are not):"
        " give the whole list, as --data.x [1,2,3]",
    ),
    f"{LINEAR} --model.lr fast": (2, "--model.lr fast: expected float"),
    # batch size and data
    f"{LINEAR} --data.batch_size 0": (
        1,
        "--data.batch_size must be 'full' or a whole number of at least 1, got 0",
    ),
    f"{LINEAR} --data.batch_size -3": (
        1,
        "--data.batch_size must be 'full' or a whole number of at least 1, got -3",
    ),
    f"{LINEAR} --data.batch_size half": (2, "--data.batch_size half: expected int or 'full'"),
    f"{LINEAR} --data.batch_size 10": (1, "--data.batch_size 10 is more than the 4 training points"),
    f"{LINEAR} --data.shuffle maybe": (2, "--data.shuffle maybe: expected bool"),
    f"{LINEAR} --data.val_fraction 1.5": (1, "--data.val_fraction must be at least 0 and below 1, got 1.5"),
    "fit --config configs/synthetic_regression.yaml --data.samples 0": (
        1,
        "--data.samples must be a whole number of",
    ),
    f"{LINEAR} --data.x '[1e400, 2, 3, 4]'": (
        1,
        "--data: the inputs: row 0 holds inf: every value must be a finite number",
    ),
    f"{LINEAR} --model.w 1e400": (1, "the model's w starts at inf: give finite starting values"),
    f"{LINEAR} --data.x '[1, 2]'": (1, "--data.x has 2 values but --data.y has 4: give one target per input"),
    # epochs and the trainer
    f"{LINEAR} --trainer.max_epochs -5": (
        1,
        "`max_epochs` must be a non-negative integer or -1. You passed in -5.",
    ),
    f"{LINEAR} --trainer.max_steps -5": (
        1,
        "`max_steps` must be a non-negative integer or -1 (infinite steps)",
    ),
    f"{LINEAR} --trainer.precision 7": (
        2,
        "--trainer.precision 7: expected 64, 32, 16 or 'transformer-engine'",
    ),
    f"{LINEAR} --trainer.num_nodes 0": (1, "`num_nodes` must be a positive integer, but got 0."),
    f"{LINEAR} --trainer.strategy ddp_foo": (
        1,
        "You selected an invalid strategy name: `strategy='ddp_foo'`.",
    ),
    f"{LINEAR} --trainer.check_val_every_n_epoch 0": (
        1,
        "--trainer.check_val_every_n_epoch must be a whole number of at least 1 (or null, to validate by"
        " --trainer.val_check_interval), got 0",
    ),
    f"{LINEAR} --trainer.val_check_interval 50": (
        1,
        "--trainer.val_check_interval 50 is more than the 1 training batch(es) of an epoch: give at most 1, a"
        " fraction of an epoch (0.0 to 1.0), or --trainer.check_val_every_n_epoch null",
    ),
    f"{LINEAR} --trainer.min_epochs 50 --trainer.max_epochs 10": (
        1,
        "--trainer.min_epochs 50 is more than --trainer.max_epochs 10: training stops at max_epochs all the"
        " same; give min_epochs at most 10",
    ),
    f"{LINEAR} --trainer.min_steps 9 --trainer.max_steps 3": (
        1,
        "--trainer.min_steps 9 is more than --trainer.max_steps 3",
    ),
    f"{LINEAR} --trainer.overfit_batches 1": (
        1,
        "--trainer.overfit_batches 1: lit-gd's data is not a DataLoader, which Lightning needs for it; to train"
        " on a few batches, give --trainer.limit_train_batches",
    ),
    f"{LINEAR} --seed_everything 99999999999999": (
        1,
        "--seed_everything 99999999999999: a seed is a whole number from 0 to 4294967295",
    ),
    f"{LINEAR} --config empty.yaml": (
        2,
        "--config empty.yaml is empty: give settings, such as 'trainer: {max_epochs: 10}'",
    ),
    f"{LINEAR} --config unclosed.yaml": (
        2,
        "--config unclosed.yaml is not YAML: while parsing a flow sequence (line 2, column 15), expected ',' or"
        " ']', but got '<stream end>' (line 3, column 1)",
    ),
    f"{LINEAR} --config section.yaml": (
        1,
        "checkpoint: 5 in a config: give its settings, one per line under it (checkpoint:, then '  <setting>:",
    ),
    "test --config configs/linear_regression.yaml --trainer.num_nodes 0": (
        1,
        "`num_nodes` must be a positive integer, but got 0.",
    ),
    f"{LINEAR} --trainer.profiler ''": (
        1,
        "--trainer.profiler '': choose one of simple, advanced, pytorch, xla",
    ),
    f"{LINEAR} --trainer.profiler fast": (
        1,
        "--trainer.profiler fast: choose one of simple, advanced, pytorch, xla",
    ),
    # Lightning's XLA profiler, without torch_xla: refused before it is made (it fails again as it is collected)
    f"{LINEAR} --trainer.profiler xla": (
        1,
        "--trainer.profiler xla needs torch_xla (TPUs), which is not installed; on this machine choose simple,"
        " advanced or pytorch",
    ),
    f"{LINEAR} --trainer.profiler XLAProfiler": (1, "--trainer.profiler XLAProfiler needs torch_xla (TPUs)"),
    # a class given by the user that refuses its arguments
    f"{LINEAR} --trainer.callbacks+=EarlyStopping --trainer.callbacks.monitor val/loss --trainer.callbacks.mode foo": (
        1,
        "EarlyStopping: `mode` can be min, max, got foo",
    ),
    f"{LINEAR} --trainer.profiler PyTorchProfiler --trainer.profiler.sort_by_key nonsense": (
        1,
        "PyTorchProfiler: Found sort_by_key: nonsense. Should be within",
    ),
    # names of examples and classes, flags, configs
    "fit --model Perceptron --data NotGateData": (
        2,
        "--model Perceptron: no such class; choose one of BCEClassifier, LinearRegression, LogisticRegression,"
        " NotGate, Quadratic, ReLURegression, SyntheticRegression, TwoLayerReLU",
    ),
    "fit --model NotGate --data XorData": (
        2,
        "--data XorData: no such class; choose one of BCEClassifierData,",
    ),
    f"{LINEAR} --nonsense 3": (2, "unrecognized arguments: --nonsense 3 (--help lists every flag)"),
    f"{LINEAR} --trainer.max_epoch 3": (
        2,
        "unrecognized arguments: --trainer.max_epoch 3; did you mean --trainer.max_epochs?",
    ),
    f"{LINEAR} --model.lrr 2": (
        2,
        "--model.lrr 2: LinearRegression has no argument 'lrr'; it takes lr, bias, w, b, gradient, in_features;"
        " did you mean --model.lr?",
    ),
    f"{LINEAR} --model.ww 3": (
        2,
        "--model.ww 3: LinearRegression has no argument 'ww'; it takes lr, bias, w, b, gradient, in_features",
    ),
    f"{LINEAR} --data.z 3": (
        2,
        "--data.z 3: LinearRegressionData has no argument 'z'; it takes x, y, batch_size, shuffle,",
    ),
    "fit --config configs/no_such_example.yaml": (2, 'Parser key "config": File does not exist:'),
    f"{LINEAR} --config typo.yaml": (2, "Subcommand 'fit' does not accept option 'trainer.max_epoch'"),
    f"{LINEAR} --dead_relu.action panic": (2, "--dead_relu.action panic: expected 'warn', 'stop'"),
    f"{LINEAR} --lr_scheduler StepLR --lr_scheduler.step_size 3": (1, "--lr_scheduler needs --optimizer too"),
    f"{LINEAR} --optimizer SGD --lr_scheduler ReduceLROnPlateau --lr_scheduler.monitor val/loss": (
        1,
        "--lr_scheduler.monitor val/loss is not logged at the end of epoch 0; logged: none yet",
    ),
    # accumulation and clipping, which the model's step carries out
    f"{LINEAR} --trainer.accumulate_grad_batches 0": (
        1,
        "--trainer.accumulate_grad_batches must be a whole number of at least 1, got 0",
    ),
    f"{LINEAR} --trainer.gradient_clip_val -1": (
        1,
        "--trainer.gradient_clip_val must be a finite number, 0 or more (0: no clipping), got -1.0",
    ),
    f"{LINEAR} --trainer.gradient_clip_algorithm foo": (
        1,
        "--trainer.gradient_clip_algorithm must be norm or value, got foo",
    ),
    # a model and data whose shapes don't fit
    "fit --model LinearRegression --data ReLURegressionData": (
        1,
        "LinearRegression takes 1 input column(s) but the",
    ),
    "fit --model NotGate --data BCEClassifierData": (1, "NotGate takes 1 input column(s) but the data has 2"),
    "fit --config configs/bce_classifier.yaml --model.hidden 0": (
        1,
        "--model.hidden must be at least 1 unit, got 0",
    ),
    # checkpoints
    f"{LINEAR} --ckpt_path missing.ckpt": (1, "--ckpt_path missing.ckpt: no such file"),
    f"{LINEAR} --ckpt_path last": (1, "--ckpt_path last: no earlier run of linear_regression has a"),
    f"{LINEAR} --ckpt_path notes.ckpt": (
        1,
        "--ckpt_path notes.ckpt is not a checkpoint lit-gd can read safely",
    ),
    f"{LINEAR} --ckpt_path truncated.ckpt": (
        1,
        "--ckpt_path truncated.ckpt is not a checkpoint lit-gd can read safely",
    ),
    f"{LINEAR} --ckpt_path foreign.ckpt": (1, "--ckpt_path foreign.ckpt is not a Lightning checkpoint"),
    f"{LINEAR} --ckpt_path pickled.ckpt": (
        1,
        "--ckpt_path pickled.ckpt is not a checkpoint lit-gd can read safely",
    ),
    f"{LINEAR} --ckpt_path {NOT_GATE_CKPT}": (
        1,
        f"--ckpt_path {NOT_GATE_CKPT} holds a model of class lit_gd.NotGate (not_gate) but the config asks for lit_gd.LinearRegression (linear_regression)",
    ),
    f"{LINEAR} --ckpt_path bare.ckpt": (
        1,
        "--ckpt_path bare.ckpt holds a state_dict but is not a checkpoint Lightning wrote",
    ),
    f"{NOT_GATE} --ckpt_path weights.ckpt": (
        1,
        "--ckpt_path weights.ckpt holds only the model's weights (as last-good.ckpt does): validate, test and predict can use it, but fit cannot resume from it",
    ),
    f"{NOT_GATE} --ckpt_path shapes.ckpt": (
        1,
        "--ckpt_path shapes.ckpt: w has shape (2,) there but () in the NotGate asked for",
    ),
    f"{NOT_GATE} --model.w 5 --ckpt_path {NOT_GATE_CKPT}": (
        1,
        f"--model.w 5.0 contradicts the checkpoint {NOT_GATE_CKPT}, trained with w 3.0: leave the flag out",
    ),
    f"{NOT_GATE} --ckpt_path last": (
        1,
        "--ckpt_path last: the newest run of not_gate, logs/not_gate/001-defaults, left no checkpoint; the newest that did is",
    ),
    f"{LINEAR} --ckpt_path ''": (1, "--ckpt_path '': give a checkpoint file, or 'last'"),
    f"{NOT_GATE} --ckpt_path logs/not_gate/000-max_epochs=1": (
        1,
        "--ckpt_path logs/not_gate/000-max_epochs=1 is a folder: give a checkpoint file, such as"
        " logs/not_gate/000-max_epochs=1/checkpoints/last.ckpt",
    ),
    f"{LINEAR} --trainer.default_root_dir elsewhere": (
        1,
        "--trainer.default_root_dir elsewhere: lit-gd keeps each run in logs/<example>/ of the folder it is"
        " started in",
    ),
    f"{LINEAR} --trainer.enable_checkpointing false": (
        1,
        "--trainer.enable_checkpointing false: lit-gd's checkpoints are its own; to keep none, give"
        " --checkpoint.save_top_k 0 --last_checkpoint.save_last false",
    ),
    f"predict --config configs/not_gate.yaml --ckpt_path {NOT_GATE_CKPT} --trainer.num_nodes 2": (
        1,
        "predict writes one table of predictions from one process, not 2: give --trainer.devices 1 (and"
        " --trainer.num_nodes 1)",
    ),
    # where checkpoints are written: never over another run's, never outside the run's folder
    f"{LINEAR} --last_checkpoint.dirpath shared": (
        1,
        "--last_checkpoint.dirpath shared: lit-gd writes each run's checkpoints in its own folder",
    ),
    f"{LINEAR} --checkpoint.dirpath {NOT_GATE_CKPT.rpartition('/')[0]}": (
        1,
        f"--checkpoint.dirpath {NOT_GATE_CKPT.rpartition('/')[0]}: lit-gd writes each run's checkpoints in",
    ),
    f"{LINEAR} --checkpoint.filename ../../escape": (
        1,
        "--checkpoint.filename ../../escape: give a file name without folders, such as best-{epoch}",
    ),
    f"{LINEAR} --checkpoint.filename '{{epoch:abc}}'": (
        1,
        "--checkpoint.filename '{epoch:abc}': Lightning cannot fill it in (Invalid format specifier",
    ),
    # run names
    f"{LINEAR} --run_name 'a b'": (1, "--run_name 'a b': a run name is 1 to 80 of the characters"),
    f"{LINEAR} --run_name ../../elsewhere": (1, "--run_name '../../elsewhere': a run name is 1 to 80 of"),
    f"{LINEAR} --run_name ''": (1, "--run_name '': a run name is 1 to 80 of the characters"),
    f"{LINEAR} --run_name {'x' * 81}": (1, f"--run_name '{'x' * 81}': a run name is 1 to 80 of"),
    f"test --config configs/not_gate.yaml --ckpt_path {NOT_GATE_CKPT} --run_name again": (
        1,
        "--run_name again: test writes in the folder of the run it evaluates, logs/not_gate/000-max_epochs=1;",
    ),
    # flags the run sets itself, optimizers
    f"{LINEAR} --model.in_features 3": (
        1,
        "--model.in_features is set by lit-gd from the data's columns: leave it out",
    ),
    f"{LINEAR} --optimizer Adam --optimizer.lr -1": (
        1,
        "--optimizer Adam: Invalid learning rate: -1.0 (see torch.optim.Adam)",
    ),
    f"{LINEAR} --optimizer SGD --optimizer.momentum -2": (1, "--optimizer SGD: Invalid momentum value: -2.0"),
    f"{LINEAR} --optimizer LBFGS --optimizer.line_search_fn wolfe": (
        1,
        "--optimizer LBFGS: only 'strong_wolfe' is supported (see torch.optim.LBFGS)",
    ),
    f"{LINEAR} --optimizer SGD --lr_scheduler StepLR --lr_scheduler.step_size 0": (
        1,
        "--lr_scheduler StepLR: integer modulo by zero (see torch.optim.lr_scheduler.StepLR)",
    ),
    f"{LINEAR} --optimizer SGD --lr_scheduler ReduceLROnPlateau --lr_scheduler.monitor val/loss"
    " --lr_scheduler.factor 2": (
        1,
        "--lr_scheduler ReduceLROnPlateau: Factor should be < 1.0. (see torch.optim.lr_scheduler.ReduceLROnPlateau)",
    ),
    # lit-gd's own counts
    f"{LINEAR} --histograms.every_n_steps -1": (
        1,
        "--histograms.every_n_steps must be a whole number of at least 0, got -1",
    ),
    f"{LINEAR} --step_logger.flush_every_n_steps 0": (
        1,
        "--step_logger.flush_every_n_steps must be a whole number of at least 1, got 0",
    ),
    f"{LINEAR} --histograms.flush_every_n_steps 0": (
        1,
        "--histograms.flush_every_n_steps must be a whole number of at least 1, got 0",
    ),
    f"{LINEAR} --dead_relu.patience -1": (
        1,
        "--dead_relu.patience must be a whole number of at least 1, got -1",
    ),
    f"{LINEAR} --saturation.action panic": (2, "--saturation.action panic: expected 'warn', 'stop'"),
    f"{LINEAR} --seed_everything abc": (2, "--seed_everything abc: expected bool or int"),
    f"{LINEAR} --data.standardize maybe": (2, "--data.standardize maybe: expected bool"),
    f"{LINEAR} --last_checkpoint.train_time_interval soon": (
        2,
        '--last_checkpoint.train_time_interval soon: expected a string of the form "h:m:s" or "d days, h:m:s"',
    ),
}


@pytest.fixture
def bad_files():
    Path("typo.yaml").write_text("trainer:\n  max_epoch: 3\n")
    Path("section.yaml").write_text("checkpoint: 5\n")
    Path("empty.yaml").write_text("")
    Path("unclosed.yaml").write_text("trainer:\n  max_epochs: [3\n")
    Path("notes.ckpt").write_text("not a checkpoint")
    torch.save({"weights": torch.zeros(2)}, "foreign.ckpt")
    torch.save({"state_dict": {}, "payload": Path(".")}, "pickled.ckpt")  # loading it would run code
    lit_gd("fit --config configs/not_gate.yaml --trainer.max_epochs 1")
    Path("truncated.ckpt").write_bytes(Path(NOT_GATE_CKPT).read_bytes()[:2000])
    checkpoint = torch.load(NOT_GATE_CKPT, weights_only=True)
    torch.save({"state_dict": checkpoint["state_dict"]}, "bare.ckpt")  # torch.save of a model's state alone
    torch.save(
        {key: value for key, value in checkpoint.items() if key not in ("optimizer_states", "loops")},
        "weights.ckpt",
    )
    torch.save(checkpoint | {"state_dict": checkpoint["state_dict"] | {"w": torch.zeros(2)}}, "shapes.ckpt")
    Path("logs/not_gate/001-defaults").mkdir()  # a newer run that was stopped before its first checkpoint


def test_at_least_forty_kinds():
    assert len(CASES) >= 40


@pytest.mark.parametrize("command", CASES)
def test_bad_input_one_line_error(command, bad_files, capsys):
    folders_before = set(Path("logs").rglob("*"))
    status, message = lit_gd_fails(command, capsys)
    expected_status, expected_message = CASES[command]
    assert status == expected_status, message
    assert message.startswith(f"lit-gd: error: {expected_message}"), message
    # a run refused before it started leaves no empty folder, which --ckpt_path last would take for the newest
    new_folders = set(Path("logs").rglob("*")) - folders_before
    assert not [folder for folder in new_folders if folder.is_dir() and not any(folder.iterdir())]


def test_a_refused_value_of_a_flag_that_exists_gets_no_did_you_mean(capsys):
    """The flags of a class given by its path (a logger) are nowhere listed: the closest listed one, a
    lit-gd flag, was offered for them."""
    logger = "--trainer.logger CSVLogger --trainer.logger.save_dir csv"
    status, message = lit_gd_fails(f"{LINEAR} {logger} --trainer.logger.flush_logs_every_n_steps [1]", capsys)
    assert (status, message) == (
        2,
        "lit-gd: error: --trainer.logger.flush_logs_every_n_steps [1]: expected int or bool",
    )


def test_predict_inputs_of_the_wrong_width_or_not_finite(capsys):
    lit_gd("fit --config configs/linear_regression.yaml --trainer.max_epochs 1")
    status, message = lit_gd_fails(
        "predict --config configs/linear_regression.yaml --ckpt_path last --data.predict_inputs '[[1, 2]]'",
        capsys,
    )
    assert message == "lit-gd: error: --data.predict_inputs must be rows of 1 number(s), got shape (1, 2)"
    status, message = lit_gd_fails(
        "predict --config configs/linear_regression.yaml --ckpt_path last --data.predict_inputs '[[1e400]]'",
        capsys,
    )
    assert (
        message
        == "lit-gd: error: --data.predict_inputs: row 0 holds inf: every value must be a finite number"
    )


def test_mismatched_shapes_never_meet_in_a_loss(capsys):
    """Tutorial 003's nn.Linear NOT gate compared a [2, 1] output with a [2] target: a [2, 2] loss."""
    from lit_gd import NotGate

    with pytest.raises(ValueError, match=r"predicts shape \(2, 1\) but the targets have shape \(2,\)"):
        NotGate().model_step((torch.tensor([[0.0], [1.0]]), torch.tensor([1.0, 0.0])))


def test_a_device_count_refused_by_its_type_is_one_line(capsys):
    """Lightning refuses ``--trainer.devices -2`` on the CPU with a TypeError, not a ValueError (the table's
    runs are pinned to one CPU device, so it is run here without that preset)."""
    with pytest.raises(SystemExit) as exit_info:
        main(shlex.split(f"{LINEAR} --trainer.accelerator cpu --trainer.devices -2"))
    stderr = capsys.readouterr().err
    assert exit_info.value.code == 1 and "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        "lit-gd: error: `devices` selected with `CPUAccelerator` should be an int > 0."
    )
