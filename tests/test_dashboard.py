"""What TensorBoard shows beyond the step scalars: metrics per stage, histograms, figures, the graph, the
hyperparameters and each run's story (its page of custom scalars and its text); and a real TensorBoard
server serving them."""

import json
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.custom_scalar import metadata as custom_scalar_metadata
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
from torch.utils.tensorboard import SummaryWriter

from lit_gd.callbacks import ParameterHistograms
from lit_gd.examples import EXAMPLES
from tests.examples import EXPECTED
from tests.helpers import fit_cli, latest_evaluation, latest_run, lit_gd, lit_gd_fails, scalars, values

MIN_HISTOGRAM_ELEMENTS = ParameterHistograms().min_elements  # 8: smaller tensors get no histogram


def events(run: Path) -> EventAccumulator:
    accumulator = EventAccumulator(str(run), size_guidance={"scalars": 0, "images": 0, "histograms": 0})
    accumulator.Reload()
    return accumulator


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def story_page(record: EventAccumulator) -> tuple[str, dict[str, list[str]]]:
    """The run's custom scalars layout: its one category's title, and each chart's tag patterns by title."""
    (event,) = record.Tensors(custom_scalar_metadata.CONFIG_SUMMARY_TAG)
    (category,) = layout_pb2.Layout.FromString(event.tensor_proto.string_val[0]).category
    return category.title, {chart.title: list(chart.multiline.tag) for chart in category.chart}


def story_text(record: EventAccumulator) -> tuple[int, str]:
    """The step and the Markdown of the run's story text."""
    (event,) = record.Tensors("story")
    return event.step, event.tensor_proto.string_val[0].decode()


def table_of_steps(text: str) -> list[str]:
    """The rows of the story's table of steps, below its header."""
    section = text.partition("### First and last steps")[2].partition("###")[0]
    return [line for line in section.splitlines() if line.startswith("| ")][1:]


def charted(patterns: list[str], tags: list[str]) -> set[str]:
    """The tags a custom scalars chart draws: those a pattern matches at their start, as TensorBoard does."""
    return {tag for tag in tags if any(re.match(pattern, tag) for pattern in patterns)}


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

    title, charts = story_page(record)
    assert title == example
    params = list(expected.parameters) if sum(expected.parameters.values()) <= 16 else []
    assert [chart for chart in charts if chart.startswith("gradient of ")] == [
        f"gradient of {n}" for n in params
    ]
    assert charted(charts["loss"], tags["scalars"]) == {"train/loss", "val/loss"}
    assert charted(charts["gradient norms"], tags["scalars"]) == {
        f"grad_norm/{name}" for name in [*expected.parameters, "total"]
    }
    step, text = story_text(record)
    assert step == 3 and text.startswith(f"**{EXAMPLES[example][0].__name__}** on ")

    hparams = {
        key: plugin_data_pb2.HParamsPluginData.FromString(content)
        for key, content in record.PluginTagToContent("hparams").items()
    }
    logged = hparams["_hparams_/session_start_info"].session_start_info.hparams
    assert {"model", "data", "optimizer", "lr", "batch_size", "epochs"} <= set(logged)
    assert logged["epochs"].number_value == 3 and logged["batch_size"].string_value == "full"
    assert logged["data/shuffle"].WhichOneof("kind") == "bool_value"  # a boolean, not 0.0
    assert hparams["_hparams_/session_start_info"].session_start_info.group_name == ""  # named as the run
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


def test_the_not_gate_tells_its_story():
    """Tutorial 003's NOT gate: its page charts w, b, their gradients and the norms; its text has the
    tutorial's table, every figure as float32 prints it."""
    record = events(fit_cli("not_gate"))
    tags = record.Tags()["scalars"]
    _, charts = story_page(record)
    assert list(charts) == ["loss", "w", "gradient of w", "b", "gradient of b", "gradient norms"]
    assert [charted(charts[title], tags) for title in ("w", "gradient of w", "b", "gradient of b")] == [
        {"param/w"},
        {"grad/w"},
        {"param/b"},
        {"grad/b"},
    ]
    step, text = story_text(record)
    assert step == 5
    for line in [
        "**NotGate** on **NotGateData**: 5 steps, from step 0.",
        "The NOT gate as one sigmoid neuron, a = sigmoid(w·x + b) (tutorial 003 in docs/tutorials.md).",
        "Plain SGD: after each step's backward pass, every parameter p ← p − 10 · ∂loss/∂p. Each step's loss"
        " is taken over the whole training set, 2 training points: batch gradient descent.",
        "| lr | 10.0 |",
        "| data/shuffle | False |",
        "| step | train/loss | param/w | param/b | grad/w | grad/b |",
        "| 0 | 0.5183403 | 3.0 | 1.0 | 0.017345048 | -0.03553204 |",
        "| 1 | 0.50608575 | 2.8265495 | 1.3553203 | 0.014591205 | -0.018819224 |",
        "| 4 | 0.4955888 | 2.3969855 | 1.7300582 | 0.015374393 | -0.0038856817 |",
        "### Parameters at the end (step 5)",
        "    w = 2.243242\n    b = 1.768915",
        "Nothing: no divergence, no dead ReLUs, no saturated sigmoids.",
    ]:
        assert line in text


def test_the_quadratic_heads_for_its_minimum():
    """x -> -1: the chart of x draws target/x, a line at -1 across the run; the table shows the first and
    the last five steps."""
    run = fit_cli("quadratic")
    record = events(run)
    _, charts = story_page(record)
    assert charted(charts["x → -1"], record.Tags()["scalars"]) == {"param/x", "target/x"}
    assert scalars(run)["target/x"] == [(step, -1.0) for step in range(50)]  # beside each param/x
    _, text = story_text(record)
    rows = table_of_steps(text)
    steps = [row.split(" | ")[0].removeprefix("| ") for row in rows]
    assert steps == [*map(str, range(5)), "…", *map(str, range(45, 50))]
    assert rows[0] == "| 0 | 36.0 | 5.0 | 12.0 |"  # y = 36 and its gradient 2x + 2 = 12 at x = 5
    assert rows[1] == "| 1 | 23.039999 | 3.8 | 9.6 |"
    assert "    x = -0.9999143" in text


@pytest.mark.parametrize(
    "flags, optimum",
    [
        ("", {"w": 2.0, "b": 0.0}),  # y = 2x
        ("--model.bias false", {"w": 2.0}),
        (  # tutorial 000's study hours and exam scores
            "--data.x '[10, 20, 30, 40]' --data.y '[480, 520, 710, 680]' --model.lr 1e-4",
            {"w": 7.9, "b": 400.0},
        ),
    ],
)
def test_linear_regression_heads_for_the_least_squares_line(flags, optimum):
    run = fit_cli("linear_regression", f"{flags} --trainer.max_epochs 20")
    logged = scalars(run)
    assert {name: logged[f"target/{name}"] for name in optimum} == {
        name: [(step, pytest.approx(value)) for step in range(20)] for name, value in optimum.items()
    }
    _, charts = story_page(events(run))
    assert [title for title in charts if "→" in title] == [f"{n} → {v:g}" for n, v in optimum.items()]


def test_the_story_says_what_the_guards_said(capsys):
    _, text = story_text(events(fit_cli("two_layer")))
    assert "| step | train/loss | grad_norm/linear1.weight |" in text  # 13 elements: the norms, not each
    assert "| 2 | 100.0 | 0.0 | 0.0 | 0.0 | 0.0 | 0.0 |" in text
    for layer, units in (("hidden_relu", 3), ("output_relu", 1)):
        assert f"- dead ReLUs: all {units} unit(s) of '{layer}' have output 0 on every training point" in text

    _, text = story_text(events(fit_cli("not_gate", "--model.lr 1000 --trainer.max_epochs 10")))
    assert "- saturated sigmoid: all 1 unit(s) of 'sigmoid' output within about 1e-06 of 0 or 1" in text

    lit_gd_fails("fit --config configs/linear_regression.yaml --model.lr 1e6", capsys)
    step, text = story_text(events(latest_run("linear_regression")))
    assert step == 3 and "- training diverged at step 3: the loss is inf" in text


@pytest.mark.parametrize(
    "example, flags, step",
    [
        ("linear_regression", "--data.batch_size 1", 5),  # mid-epoch: GracefulInterrupt stops at once
        ("not_gate", "", 2),  # an epoch's last step: the stop comes when fit ends
    ],
)
def test_a_run_stopped_by_a_signal_gets_its_story_and_hparams(example, flags, step):
    signal_at = f"--trainer.callbacks tests.helpers.SignalAtStep --trainer.callbacks.step {step}"
    with pytest.raises(SystemExit) as stopped:
        lit_gd(f"fit --config configs/{example}.yaml {flags} {signal_at}")
    assert stopped.value.code == 130
    record = events(latest_run(example))
    told_at, text = story_text(record)
    assert told_at == step and f": {step} steps, from step 0." in text
    hparams = {
        key: plugin_data_pb2.HParamsPluginData.FromString(content)
        for key, content in record.PluginTagToContent("hparams").items()
    }
    assert hparams["_hparams_/session_start_info"].session_start_info.hparams["model"].string_value
    assert "_hparams_/session_end_info" in hparams


def test_a_resumed_run_tells_its_own_steps():
    fit_cli("not_gate", "--trainer.max_epochs 2 --figures.enabled false")
    resumed = fit_cli("not_gate", "--trainer.max_epochs 4 --figures.enabled false --ckpt_path last")
    step, text = story_text(events(resumed))
    assert step == 4 and "**NotGate** on **NotGateData**: 2 steps, from step 2." in text
    assert [row.split(" | ")[:3] for row in table_of_steps(text)] == [
        ["| 2", "0.50116986", "2.6806376"],
        ["| 3", "0.49811363", "2.5405037"],
    ]


def test_no_tensorboard_no_story():
    lit_gd("fit --config configs/not_gate.yaml --trainer.logger false --trainer.max_epochs 2")
    assert not list(Path().rglob("events.out.tfevents.*"))


@pytest.mark.slow
def test_train_metrics_come_with_each_validation_and_not_without():
    run = fit_cli("relu_regression", "--trainer.max_epochs 6 --trainer.check_val_every_n_epoch 3")
    logged = scalars(run)
    assert [step for step, _ in logged["train/mse"]] == [step for step, _ in logged["val/mse"]] == [2, 5]
    assert "train/mse" not in scalars(fit_cli("relu_regression", "--trainer.limit_val_batches 0"))


def test_pictures_drawn_from_parameters_not_logged_are_left_out(caplog):
    """Linear regression's descent path is drawn from ``param/w`` and ``param/b``, which a step logger told to
    log no parameter element does not write: the loss curve is drawn, and the run says why it alone."""
    run = fit_cli("linear_regression", "--trainer.max_epochs 3 --step_logger.max_param_elements 0")
    assert events(run).Tags()["images"] == ["figures/loss"]
    assert (
        "figures: param/w is not logged (max_param_elements 0), so only the loss curve is drawn"
        in caplog.text
    )


def test_histograms_of_tensors_of_any_size_on_request():
    flags = "--trainer.max_epochs 2 --histograms.every_n_steps 1 --histograms.min_elements 1"
    run = fit_cli("two_layer", flags)
    names = EXPECTED["two_layer"].parameters
    assert sorted(events(run).Tags()["histograms"]) == sorted(
        f"histogram/{kind}/{name}" for kind in ("param", "grad") for name in names
    )


def test_histograms_are_those_tensorboard_writes(tmp_path):
    """lit-gd writes each histogram event itself: at every step, each is the one ``add_histogram`` (bins=30)
    writes for the parameter's values at that step, which the step scalars give for a small model."""
    run = fit_cli(
        "two_layer", "--trainer.max_epochs 3 --histograms.every_n_steps 1 --histograms.min_elements 1"
    )
    logged, steps = events(run), scalars(run)
    reference = SummaryWriter(tmp_path)
    for name, elements in EXPECTED["two_layer"].parameters.items():
        columns = sorted(tag for tag in steps if re.fullmatch(rf"param/{re.escape(name)}(\.\d+)*", tag))
        assert len(columns) == elements
        for step in range(3):
            value = torch.tensor([steps[tag][step][1] for tag in columns], dtype=torch.float64)
            reference.add_histogram(name, value, step, bins=30)
    reference.close()
    expected = events(tmp_path)
    for name in EXPECTED["two_layer"].parameters:
        ours = [(event.step, event.histogram_value) for event in logged.Histograms(f"histogram/param/{name}")]
        assert ours == [(event.step, event.histogram_value) for event in expected.Histograms(name)]


def test_histograms_kept_for_a_later_write_survive_a_failed_run(capsys):
    """Histograms are written every 100 steps by default: a run that diverges at step 3 writes the ones it
    kept as it stops, every step's, those of values too large for 30 buckets (w is some 1e15 at step 2, 1e21
    at step 3) in one bucket."""
    flags = "--model.lr 1e6 --histograms.every_n_steps 1 --histograms.min_elements 1"
    status, _ = lit_gd_fails(f"fit --config configs/linear_regression.yaml {flags}", capsys)
    record = events(latest_run("linear_regression"))
    assert status == 1
    for tag in ("histogram/param/w", "histogram/grad/w", "histogram/param/b", "histogram/grad/b"):
        assert [event.step for event in record.Histograms(tag)] == [0, 1, 2, 3]
    last = record.Histograms("histogram/param/w")[-1].histogram_value
    assert (last.num, list(last.bucket), list(last.bucket_limit)) == (1, [1], [last.max])


def test_one_histogram_a_step_under_lbfgs():
    """LBFGS evaluates the loss several times a step: the histogram is of the step's parameters, once."""
    run = fit_cli(
        "synthetic_regression", "--optimizer LBFGS --trainer.max_epochs 2 --histograms.every_n_steps 1"
    )
    assert [event.step for event in events(run).Histograms("histogram/param/linear.weight")] == [0, 1]


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
    run = latest_evaluation("not_gate")
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


@contextmanager
def tensorboard_serving() -> Iterator[str]:
    """A TensorBoard server of ./logs on a free port, once it serves a run: its URL for data."""
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
                if _get(f"{base}/runs"):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "TensorBoard did not serve the run within 60 s"
            time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_tensorboard_server_serves_the_run():
    fit_cli("not_gate")
    with tensorboard_serving() as base:
        assert _get(f"{base}/runs") == ["not_gate/000-defaults"]
        tags = _get(f"{base}/plugin/scalars/tags")["not_gate/000-defaults"]
        assert {"train/loss", "param/w", "grad/b", "grad_norm/total", "val/accuracy"} <= set(tags)
        query = urllib.parse.urlencode({"run": "not_gate/000-defaults", "tag": "train/loss"})
        series = _get(f"{base}/plugin/scalars/scalars?{query}")
        assert [step for _, step, _ in series] == [0, 1, 2, 3, 4]
        assert series[0][2] == pytest.approx(0.5183403, rel=1e-6)


@pytest.mark.slow
def test_tensorboard_serves_the_story():
    """The story page, the story text and the hparams columns as TensorBoard's own HTTP API serves them to
    its pages: the quadratic's chart of x with its target, the NOT gate's table."""
    fit_cli("not_gate")
    fit_cli("quadratic")
    with tensorboard_serving() as base:
        layout = _get(f"{base}/plugin/custom_scalars/layout")
        charts = {
            category["title"]: {chart["title"]: chart["multiline"]["tag"] for chart in category["chart"]}
            for category in layout["category"]
        }
        assert list(charts) == ["not_gate", "quadratic"]
        assert list(charts["quadratic"]) == ["loss", "x → -1", "gradient of x", "gradient norms"]
        query = urllib.parse.urlencode(
            {"run": "quadratic/000-defaults", "tag": charts["quadratic"]["x → -1"][1]}
        )
        target = _get(f"{base}/plugin/custom_scalars/scalars?{query}")
        assert [[step, value] for _, step, value in target["tag_to_events"]["target/x"]] == [
            [step, -1] for step in range(50)
        ]

        query = urllib.parse.urlencode({"run": "not_gate/000-defaults", "tag": "story"})
        (text,) = _get(f"{base}/plugin/text/text?{query}")  # Markdown, as TensorBoard renders it
        assert text["step"] == 5
        assert "<td>0</td>\n<td>0.5183403</td>\n<td>3.0</td>" in text["text"]

        query = urllib.parse.urlencode({"request": json.dumps({"experimentName": ""})})
        experiment = _get(f"{base}/plugin/hparams/experiment?{query}")
        hparams = {info["name"]: info for info in experiment["hparamInfos"]}
        assert list(hparams)[:5] == [
            "batch_size",
            "epochs",
            "lr",
            "model",
            "optimizer",
        ]  # ticked: the first 5
        assert hparams["data/shuffle"]["type"] == "DATA_TYPE_BOOL"
        metrics = [info["name"]["tag"] for info in experiment["metricInfos"]]
        assert metrics[:2] == ["train/loss", "val/loss"]
