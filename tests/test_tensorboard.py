"""What a short run writes for TensorBoard: one value per optimizer step for every tag, named as promised."""

import itertools

import pytest
import torch
from torch import nn

from lit_gd import NotGate, NotGateData, ReLURegression, ReLURegressionData, TwoLayerData, TwoLayerReLU
from tests.helpers import fit_cli, fit_trainer, scalars


def test_scalar_tags_one_value_per_step():
    run = fit_cli("relu_regression", "--trainer.max_epochs 7")
    series = scalars(run)
    names = ["weight.0.0", "weight.1.0", "bias"]
    expected = {
        "train/loss",
        *(f"param/{n}" for n in names),
        *(f"grad/{n}" for n in names),
        "grad_norm/weight",
        "grad_norm/bias",
        "grad_norm/total",
    }
    assert expected <= set(series)
    for tag in expected:
        assert [step for step, _ in series[tag]] == list(range(7)), tag


def test_param_is_value_before_update_and_grad_norm_matches(tmp_path):
    torch.manual_seed(3)
    model = ReLURegression()
    initial = model.weight.detach().clone()
    series = scalars(fit_trainer(model, ReLURegressionData(), 3, tmp_path))
    assert series["param/weight.0.0"][0][1] == pytest.approx(initial[0, 0].item())
    assert series["param/weight.1.0"][0][1] == pytest.approx(initial[1, 0].item())
    grads = [series[f"grad/{n}"][1][1] for n in ["weight.0.0", "weight.1.0", "bias"]]
    assert series["grad_norm/total"][1][1] == pytest.approx(torch.tensor(grads).norm().item(), rel=1e-6)
    assert series["grad_norm/bias"][1][1] == pytest.approx(abs(grads[2]), rel=1e-6)


def test_param_values_follow_the_updates_of_a_parameter_that_is_not_contiguous(tmp_path):
    # the step logger reads each parameter through a flat view made once; a parameter that no flat view can
    # show (a transposed tensor) is read afresh at every step: each step's value is the last one's, less lr
    # times its gradient (plain SGD)
    torch.manual_seed(1)  # a start at which the first layer's last two units learn
    model = TwoLayerReLU()
    weight = model.linear1.weight.detach()
    model.linear1.weight = nn.Parameter(weight.t().contiguous().t())  # the same values, strided
    assert not model.linear1.weight.is_contiguous()
    series = scalars(fit_trainer(model, TwoLayerData(), 4, tmp_path))
    for row, column in itertools.product(range(3), range(2)):
        values = [value for _, value in series[f"param/linear1.weight.{row}.{column}"]]
        grads = [value for _, value in series[f"grad/linear1.weight.{row}.{column}"]]
        assert values[0] == weight[row, column].item()
        for step in range(1, 4):
            expected = values[step - 1] - model.lr * grads[step - 1]
            assert values[step] == pytest.approx(expected, rel=1e-6, abs=1e-6), (row, column, step)
    assert len({value for _, value in series["param/linear1.weight.2.1"]}) > 1  # it moves


def test_large_models_log_norms_but_not_elements(tmp_path):
    model = ReLURegression(in_features=20)
    data = ReLURegressionData()
    data.make_tensors = lambda: (torch.ones(4, 20), torch.ones(4, 1))
    series = scalars(fit_trainer(model, data, 2, tmp_path))
    assert not any(tag.startswith(("param/", "grad/")) for tag in series)
    assert len(series["grad_norm/total"]) == 2


def test_flush_writes_steps_buffered_between_flushes(tmp_path):
    from lit_gd.callbacks import StepLogger

    model = NotGate()
    trainer_run = fit_trainer(model, NotGateData(), 5, tmp_path)
    assert len(scalars(trainer_run)["train/loss"]) == 5
    assert StepLogger().flush_every_n_steps > 1  # the default buffers; the test above saw every step anyway


def test_step_logger_norms_are_lightnings_grad_norm():
    from lightning.pytorch.utilities import grad_norm

    from lit_gd import BCEClassifier
    from lit_gd.callbacks import StepLogger

    torch.manual_seed(0)
    model = BCEClassifier()
    loss, _, _ = model.model_step((torch.rand(10, 2) * 10, torch.randint(0, 2, (10, 1)).float()))
    loss.backward()
    expected = grad_norm(model, norm_type=2)
    ours = torch.cat(StepLogger().gradient_norms(list(model.parameters())))
    assert ours.tolist() == pytest.approx([value.item() for value in expected.values()], rel=1e-6)


def test_one_tensorboard_event_per_step_holds_what_log_metrics_writes(tmp_path):
    """The StepLogger writes each step to TensorBoard as one event with all its values; other loggers get
    ``log_metrics``, an entry per value. Both, prefix included, hold the same tags, steps and values."""
    import csv

    from lightning.pytorch import Trainer
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    from lit_gd.callbacks import StepLogger

    tensorboard = TensorBoardLogger(tmp_path, name="tb", prefix="run", default_hp_metric=False)
    csv_logger = CSVLogger(tmp_path, name="csv", prefix="run")
    trainer = Trainer(
        accelerator="cpu",
        max_epochs=7,
        logger=[tensorboard, csv_logger],
        callbacks=[StepLogger(flush_every_n_steps=3)],  # flushes after steps 2 and 5, and at the end
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        log_every_n_steps=1,
    )
    trainer.fit(NotGate(), NotGateData())
    written = scalars(tensorboard.log_dir)
    tags = [
        "train/loss",
        "param/w",
        "param/b",
        "grad/w",
        "grad/b",
        "grad_norm/w",
        "grad_norm/b",
        "grad_norm/total",
    ]
    assert {f"run-{tag}" for tag in tags} <= set(written)
    with open(f"{csv_logger.log_dir}/metrics.csv") as file:
        rows = list(csv.DictReader(file))
    for tag in (f"run-{tag}" for tag in tags):
        series = written[tag]
        assert [step for step, _ in series] == list(range(7))
        expected = [(int(row["step"]), float(row[tag])) for row in rows if row.get(tag)]
        assert [(step, pytest.approx(value, rel=1e-6)) for step, value in series] == expected


def test_lbfgs_logs_each_step_once_at_the_steps_parameters():
    """LBFGS evaluates the loss several times a step, and Lightning calls on_before_optimizer_step after each
    evaluation: the step's row is the first, at the parameters the step started from."""
    run = fit_cli("not_gate", "--optimizer LBFGS --optimizer.lr 1 --trainer.max_epochs 3")
    series = scalars(run)
    assert [step for step, _ in series["train/loss"]] == [0, 1, 2]
    assert series["param/w"][0][1] == 3.0 and series["train/loss"][0][1] == pytest.approx(0.5183403)
    assert series["param/w"][1][1] != 3.0  # where step 0 took it


def test_c_checksum_is_tensorboards_own():
    """lit_gd.checksum frames events with the checksum TensorBoard's pure-Python writer computes."""
    import random

    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c as tensorboards

    from lit_gd.checksum import masked_crc32c

    generator = random.Random(0)
    for size in [*range(40), 255, 256, 1000, 4096, 100_003]:
        data = generator.randbytes(size)
        assert masked_crc32c(data) == tensorboards(data), size


def test_the_event_file_stays_open_and_each_event_is_on_disk_once_written(tmp_path):
    """TensorBoard without TensorFlow reopens the event file for every event it writes; lit-gd's logger has
    its writer keep the file open, unbuffered: what it writes can be read at once, while the run goes on,
    and the file is closed with the writer."""
    import io

    from lit_gd.logger import TensorBoardLoggerWithoutEpoch

    logger = TensorBoardLoggerWithoutEpoch(tmp_path, name="", version="run", default_hp_metric=False)
    file = logger.experiment._get_file_writer().event_writer._async_writer._writer._writer
    assert isinstance(file, io.FileIO) and not file.closed
    logger.log_metrics({"a": 1.5}, step=3)
    logger.experiment._get_file_writer().event_writer._async_writer._byte_queue.join()  # written, not flushed
    assert scalars(tmp_path / "run") == {"a": [(3, 1.5)]}
    logger.finalize("success")
    assert file.closed


def test_a_remote_event_file_gets_every_step_through_tensorboards_thread(tmp_path):
    """A local event file gets each flush's events from the step logger directly; a remote one (``s3://``
    and the like, here fsspec's ``memory://``) through TensorBoard's own writer thread, which flushes it."""
    import fsspec
    from lightning.pytorch import Trainer
    from lightning.pytorch.loggers import TensorBoardLogger

    from lit_gd.callbacks import StepLogger

    logger = TensorBoardLogger("memory://lit-gd-test", name="", version="run", default_hp_metric=False)
    trainer = Trainer(
        accelerator="cpu",
        max_epochs=5,
        logger=logger,
        callbacks=[StepLogger(flush_every_n_steps=2)],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
    )
    trainer.fit(NotGate(), NotGateData())
    memory = fsspec.filesystem("memory")
    (written,) = memory.glob("/lit-gd-test/run/events.out.tfevents.*")
    memory.get(written, str(tmp_path / "events.out.tfevents.copy"))
    memory.rm("/lit-gd-test", recursive=True)
    assert [step for step, _ in scalars(tmp_path)["train/loss"]] == [0, 1, 2, 3, 4]
