"""What TensorBoard shows beyond the step scalars: metrics per stage, histograms, figures, the graph and
the hyperparameters, each switchable; and a real TensorBoard server serving a run."""

import json
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2

from lit_gd.callbacks import ParameterHistograms
from tests.examples import EXPECTED
from tests.helpers import fit_cli, latest_run, lit_gd, scalars, values

MIN_HISTOGRAM_ELEMENTS = ParameterHistograms().min_elements  # 8: smaller tensors get no histogram


def events(run: Path) -> EventAccumulator:
    accumulator = EventAccumulator(str(run), size_guidance={"scalars": 0, "images": 0, "histograms": 0})
    accumulator.Reload()
    return accumulator


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("example", EXPECTED)
def test_short_run_writes_the_whole_story(example):
    run = fit_cli(
        example, "--trainer.max_epochs 3 --trainer.check_val_every_n_epoch 1 --histograms.every_n_steps 2"
    )
    record, expected = events(run), EXPECTED[example]
    tags = record.Tags()
    for stage in ("train", "val"):
        assert {f"{stage}/{metric}" for metric in expected.metrics} <= set(tags["scalars"])
        assert f"{stage}/loss" in tags["scalars"]
    assert "hp_metric" not in tags["scalars"]
    assert "epoch" not in tags["scalars"]  # Lightning's own: left out by lit-gd's logger

    drawn = [name for name, elements in expected.parameters.items() if elements >= MIN_HISTOGRAM_ELEMENTS]
    assert sorted(tags["histograms"]) == sorted(
        f"histogram/{kind}/{name}" for kind in ("param", "grad") for name in drawn
    )
    for tag in tags["histograms"]:
        assert [event.step for event in record.Histograms(tag)] == [0, 2]

    assert sorted(tags["images"]) == sorted(f"figures/{name}" for name in expected.figures)
    for tag in tags["images"]:
        (image,) = record.Images(tag)  # drawn once, when training ends
        assert image.step == 3
        assert png_size(image.encoded_image_string) == (image.width, image.height) == (640, 480)

    assert tags["graph"]

    hparams = {
        key: plugin_data_pb2.HParamsPluginData.FromString(content)
        for key, content in record.PluginTagToContent("hparams").items()
    }
    logged = hparams["_hparams_/session_start_info"].session_start_info.hparams
    assert {"model", "data", "optimizer", "lr", "batch_size", "epochs"} <= set(logged)
    assert logged["epochs"].number_value == 3 and logged["batch_size"].string_value == "full"
    assert logged["data/shuffle"].WhichOneof("kind") == "bool_value"  # a boolean, not 0.0
    experiment = hparams["_hparams_/experiment"].experiment
    columns = {info.name.tag for info in experiment.metric_infos}
    assert {"train/loss", "val/loss"} | {f"val/{metric}" for metric in expected.metrics} <= columns
    # TensorBoard ticks the first five metrics and the first five hyperparameters, those marked `differs`
    # first: the headline ones, and the losses with the validation metrics
    shown = [info.name.tag for info in experiment.metric_infos][: 2 + len(expected.metrics)]
    assert shown[:2] == ["train/loss", "val/loss"]
    assert sorted(shown[2:]) == sorted(f"val/{metric}" for metric in expected.metrics)
    headline = {info.name for info in experiment.hparam_infos if info.differs}
    assert headline == {"model", "optimizer", "lr", "batch_size", "epochs"}
    shuffle = next(info for info in experiment.hparam_infos if info.name == "data/shuffle")
    assert shuffle.type == api_pb2.DATA_TYPE_BOOL
    assert [value.bool_value for value in shuffle.domain_discrete.values] == [False, True]


@pytest.mark.slow
def test_train_metrics_come_with_each_validation_and_not_without():
    run = fit_cli("relu_regression", "--trainer.max_epochs 6 --trainer.check_val_every_n_epoch 3")
    logged = scalars(run)
    assert [step for step, _ in logged["train/mse"]] == [step for step, _ in logged["val/mse"]] == [2, 5]
    assert "train/mse" not in scalars(fit_cli("relu_regression", "--trainer.limit_val_batches 0"))


def test_histograms_of_tensors_of_any_size_on_request():
    flags = "--trainer.max_epochs 2 --histograms.every_n_steps 1 --histograms.min_elements 1"
    run = fit_cli("two_layer", flags)
    names = EXPECTED["two_layer"].parameters
    assert sorted(events(run).Tags()["histograms"]) == sorted(
        f"histogram/{kind}/{name}" for kind in ("param", "grad") for name in names
    )


def test_everything_extra_switches_off():
    run = fit_cli(
        "not_gate",
        "--histograms.every_n_steps 0 --figures.enabled false --log_graph false --trainer.max_epochs 2",
    )
    tags = events(run).Tags()
    assert not tags["histograms"] and not tags["images"] and not tags["graph"]


def test_figures_every_n_epochs():
    run = fit_cli("quadratic", "--figures.every_n_epochs 4 --trainer.max_epochs 10")
    assert [image.step for image in events(run).Images("figures/descent")] == [4, 8, 10]


def test_classification_metrics_on_a_hand_made_case():
    """w = 0, b = 1: both points get P = sigmoid(1) = 0.73, so both are called 1. One of the two is right
    (accuracy 0.5); precision 1/2 and recall 1/1 give F1 2/3; tied scores give AUROC 0.5."""
    lit_gd("validate --config configs/not_gate.yaml --model.w 0 --model.b 1")
    run = latest_run("not_gate")
    assert values(run, "val/accuracy") == [0.5]
    assert values(run, "val/f1") == [pytest.approx(2 / 3)]
    assert values(run, "val/auroc") == [0.5]
    assert "epoch" not in scalars(run)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_tensorboard_server_serves_the_run():
    fit_cli("not_gate")
    port = _free_port()
    tensorboard = Path(sys.executable).with_name("tensorboard")
    server = subprocess.Popen(
        [str(tensorboard), "--logdir", "logs", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/data"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                runs = _get(f"{base}/runs")
                if runs:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "TensorBoard did not serve the run within 60 s"
            time.sleep(0.5)
        assert runs == ["not_gate/version_0"]
        tags = _get(f"{base}/plugin/scalars/tags")["not_gate/version_0"]
        assert {"train/loss", "param/w", "grad/b", "grad_norm/total", "val/accuracy"} <= set(tags)
        query = urllib.parse.urlencode({"run": "not_gate/version_0", "tag": "train/loss"})
        series = _get(f"{base}/plugin/scalars/scalars?{query}")
        assert [step for _, step, _ in series] == [0, 1, 2, 3, 4]
        assert series[0][2] == pytest.approx(0.5183403, rel=1e-6)
    finally:
        server.terminate()
        server.wait(timeout=30)
