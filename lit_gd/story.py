"""Each run's story in TensorBoard: one page of charts in Custom Scalars, and one Text entry.

The page, a category named after the example: the loss; each parameter, beside the value it should reach
where the example knows it (``target/<name>``, see ``GradientDescentExample.optimum``); its gradient; the
gradient norms. The text, ``story``: what the example is (its file's docstring), its update rule, the
first and last steps as the tutorials print them, the final parameters, what the guards said of the run,
and its hyperparameters.
"""

import inspect
import re
from collections.abc import Callable, Sequence

import numpy as np
import torch
from lightning.pytorch import Callback, Trainer
from tensorboard.plugins.text.summary_v2 import text_pb

from lit_gd.callbacks import StepLogger, run_hyperparameters, tensorboard_writer
from lit_gd.examples import example_name
from lit_gd.guards import DivergenceGuard, StuckUnitMonitor
from lit_gd.module import GradientDescentExample
from lit_gd.runs import parameter_lines

TEXT_TAG = "story"
TABLE_MAX_ELEMENTS = 4  # the table of steps shows each parameter element of models this small, else norms
TABLE_ENDS = 5  # the table shows this many first and last steps
Guard = DivergenceGuard | StuckUnitMonitor  # each keeps what it said of the run in ``diagnoses``


def _series_pattern(prefix: str, name: str) -> str:
    """The tags of a parameter under ``prefix``: ``param/w`` for a scalar, ``param/fc1.weight.0.1`` and the
    other elements of a tensor (custom scalars match a regular expression at the start of each tag)."""
    return rf"^{prefix}/{re.escape(name)}(\.\d+)*$"


def story_layout(example: str, parameter_names: list[str], optimum: dict[str, float]) -> dict:
    """The story page as ``SummaryWriter.add_custom_scalars`` takes it, {category: {title: chart}}: the
    loss, a chart of the values and one of the gradients for each named parameter, the gradient norms."""
    charts = {"loss": ["Multiline", ["^train/loss$", "^val/loss$"]]}
    for name in parameter_names:
        title = f"{name} → {optimum[name]:g}" if name in optimum else name
        charts[title] = ["Multiline", [_series_pattern("param", name), _series_pattern("target", name)]]
        charts[f"gradient of {name}"] = ["Multiline", [_series_pattern("grad", name)]]
    charts["gradient norms"] = ["Multiline", ["^grad_norm/"]]
    return {example: charts}


def update_rule(trainer: Trainer) -> str:
    """The update rule in words: the optimizer, and the points each step's loss is taken over."""
    optimizer, data = trainer.optimizers[0], trainer.datamodule
    settings, lr = optimizer.defaults, optimizer.defaults["lr"]
    if type(optimizer) is torch.optim.SGD and not (
        settings["momentum"] or settings["weight_decay"] or settings["maximize"]
    ):
        rule = f"Plain SGD: after each step's backward pass, every parameter p ← p − {lr:g} · ∂loss/∂p."
    else:
        rule = f"`torch.optim.{type(optimizer).__name__}` at lr {lr:g}; its settings are `optimizer/*` below."
    if trainer.lr_scheduler_configs:
        rule += f" The learning rate follows `{type(trainer.lr_scheduler_configs[0].scheduler).__name__}`."
    points = f"{len(data.dataset)} training point{'s' if len(data.dataset) > 1 else ''}"
    batches = {
        "full": f"the whole training set, {points}: batch gradient descent",
        1: f"one point at a time, of {points}: stochastic gradient descent",
    }
    over = batches.get(data.batch_size, f"{data.batch_size} of the {points}: mini-batch gradient descent")
    shuffled = " The points are shuffled every epoch." if data.shuffle else ""
    return f"{rule} Each step's loss is taken over {over}.{shuffled}"


def steps_table(tags: list[str], series: Callable[[str], np.ndarray], first_step: int) -> str:
    """The first and last steps in Markdown, under a line that says what the columns are: the loss, then
    each parameter element and its gradient for models of at most ``TABLE_MAX_ELEMENTS`` elements, the
    gradient norms for larger ones. Values as float32 prints them, in full."""
    params = [tag for tag in tags if tag.startswith("param/")]
    if 0 < len(params) <= TABLE_MAX_ELEMENTS:
        columns = ["train/loss", *params, *(tag.replace("param/", "grad/", 1) for tag in params)]
        caption = (
            "Each step's loss, each parameter as its forward pass saw it (before the update), its gradient."
        )
    else:
        columns = ["train/loss", *(tag for tag in tags if tag.startswith("grad_norm/"))]
        caption = "Each step's loss and the 2-norms of its gradients."
    values = [series(tag) for tag in columns]
    steps = len(values[0])
    if not steps:
        return "No step was taken."
    rows = (
        range(steps)
        if steps <= 2 * TABLE_ENDS
        else [*range(TABLE_ENDS), None, *range(steps - TABLE_ENDS, steps)]
    )
    lines = ["| step | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for row in rows:
        cells = ["…"] * len(columns) if row is None else [str(column[row]) for column in values]
        lines.append(f"| {'…' if row is None else first_step + row} | " + " | ".join(cells) + " |")
    return caption + "\n\n" + "\n".join(lines)


def story_text(
    trainer: Trainer,
    model: GradientDescentExample,
    step_logger: StepLogger,
    first_step: int,
    guards: Sequence[Guard],
) -> str:
    """The run's story in Markdown, for TensorBoard's Text tab."""
    name, data = type(model).__name__, type(trainer.datamodule).__name__
    hparams = run_hyperparameters(trainer, model)
    diagnoses = [message for guard in guards for message in guard.diagnoses]
    elements = sum(p.numel() for p in model.parameters())
    final = parameter_lines(model) or [f"{elements} elements, too many to list: see the histograms"]
    return "\n\n".join(
        [
            f"**{name}** on **{data}**: {trainer.global_step - first_step} steps, from step {first_step}.",
            inspect.getdoc(inspect.getmodule(type(model))) or "",
            "### Update rule",
            update_rule(trainer),
            "### First and last steps",
            steps_table(step_logger.tags, step_logger.series, first_step),
            f"### Parameters at the end (step {trainer.global_step})",
            "\n".join(f"    {line}" for line in final),
            "### What the guards said",
            "\n".join(f"- {message}" for message in diagnoses)
            or "Nothing: no divergence, no dead ReLUs, no saturated sigmoids.",
            "### Hyperparameters",
            "| hyperparameter | value |\n|---|---|\n"
            + "\n".join(f"| {hparam} | {value} |" for hparam, value in hparams.items()),
        ]
    )


class StoryWriter(Callback):
    """Writes the run's story page (TensorBoard's Custom Scalars) when training starts, and its text entry
    (``story``) when training ends, stopped or not. The value each parameter should reach is logged as
    ``target/<name>`` at every step, in the step logger's events: a line across the run, and a stopped run
    and its resumed one together log the same steps as the run never stopped."""

    def __init__(self, step_logger: StepLogger, guards: Sequence[Guard] = ()):
        """
        Args:
            step_logger: the StepLogger whose record the table of steps comes from (lit-gd gives its own).
            guards: the guards whose diagnoses the text reports (lit-gd gives its own).
        """
        self.step_logger = step_logger
        self.guards = guards
        self._first_step: int | None = None  # set while a run is being told

    def on_train_start(self, trainer: Trainer, pl_module: GradientDescentExample) -> None:
        writer = tensorboard_writer(trainer)
        if writer is None or trainer.global_rank:
            return
        self._first_step = trainer.global_step
        optimum = pl_module.optimum(*trainer.datamodule.dataset.tensors)
        self.step_logger.constants = {f"target/{name}": value for name, value in optimum.items()}
        # The parameters' charts where their scalars are logged
        logged = self.step_logger.logs_elements(pl_module)
        names = [name for name, _ in pl_module.named_parameters()] if logged else []
        writer.add_custom_scalars(story_layout(example_name(type(pl_module)), names, optimum))

    def on_train_end(self, trainer: Trainer, pl_module: GradientDescentExample) -> None:
        self._finish(trainer, pl_module)

    def on_exception(
        self, trainer: Trainer, pl_module: GradientDescentExample, exception: BaseException
    ) -> None:
        self._finish(trainer, pl_module)

    def _finish(self, trainer: Trainer, pl_module: GradientDescentExample) -> None:
        if self._first_step is None:  # not started, or not on this process
            return
        writer = tensorboard_writer(trainer)
        self.step_logger.flush(trainer)
        self.step_logger.constants = {}
        text = story_text(trainer, pl_module, self.step_logger, self._first_step, self.guards)
        # TensorBoard's own text summary: SummaryWriter.add_text would name the tag "story/text_summary"
        writer.file_writer.add_summary(text_pb(TEXT_TAG, text), trainer.global_step)
        self._first_step = None
