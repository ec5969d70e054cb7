"""The progress bar of ``lit-gd``: Lightning's own, with the step's loss, drawn at most ten times a second.

Lightning's ``TQDMProgressBar`` redraws the training bar whenever it changes it: when an epoch starts, after
every ``refresh_rate`` batches, and when the epoch ends. The tutorials' full-batch runs have one-step epochs,
so that is five redraws of the whole line per step, more than the step itself costs. tqdm's ``mininterval``
(0.1 s) limits how often ``update`` draws, but Lightning calls ``refresh``, which ignores it; here
``refresh`` honours it too. The bar keeps its state at every step and always draws its last one when it
closes. The metrics are gathered, and the loss read from its tensor, only when the bar is drawn: no host
synchronisation and no gathering of Lightning's metrics at every step.

It draws on stderr, so that what a command prints on stdout (the summary, ``predict``'s table) can be
redirected whole, and only the training bar: the validation, test and predict bars of the tutorials' runs
flash by in milliseconds and leave a line each behind in a log. lit-gd shows it only on a terminal.
"""

import functools
import math
import sys
from collections.abc import Callable, Iterator, Mapping

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm
from torch import Tensor

from lit_gd.module import GradientDescentExample


class _ThrottledTqdm(Tqdm):
    """A bar whose ``refresh`` draws only when ``mininterval`` seconds have passed since it last did, and
    whose postfix values are turned into text only then."""

    _drawn_at = -math.inf
    _postfix_values: Mapping = {}  # replaced, never changed in place, by set_postfix

    def set_postfix(self, ordered_dict: Mapping | None = None, refresh: bool = True, **kwargs) -> None:
        # kept as given: a _MetricsWhenRead is read only if the bar draws (not even its length before)
        given = {} if ordered_dict is None else ordered_dict
        self._postfix_values = {**given, **kwargs} if kwargs else given
        if refresh:
            self.refresh()

    def _format_postfix(self) -> None:
        values = {k: v.item() if isinstance(v, Tensor) else v for k, v in self._postfix_values.items()}
        super().set_postfix(values, refresh=False)

    def refresh(self, nolock: bool = False, lock_args: tuple | None = None) -> bool | None:
        if self.disable:  # the bar of every process but rank 0 under DDP: tqdm draws nothing, keeps no clock
            return super().refresh(nolock, lock_args)
        now = self._time()
        if now - self._drawn_at < self.mininterval:
            return None
        self._drawn_at = now
        self._format_postfix()
        return super().refresh(nolock, lock_args)

    def close(self) -> None:
        self._format_postfix()
        super().close()


class _MetricsWhenRead(Mapping):
    """The bar's metrics, gathered when the bar reads them to draw: Lightning hands the bar its metrics
    twice a step of a one-step epoch, gathering Lightning's own every time (tens of us), and the bar draws
    at most ten times a second."""

    def __init__(self, gather: Callable[[], dict]):
        self._gather = gather

    @functools.cached_property
    def _metrics(self) -> dict:
        return self._gather()

    def __getitem__(self, key: str):
        return self._metrics[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._metrics)

    def __len__(self) -> int:
        return len(self._metrics)


class ThrottledProgressBar(TQDMProgressBar):
    """``TQDMProgressBar`` showing the latest training loss, its training bar redrawn at most every 0.1 s."""

    def init_train_tqdm(self) -> Tqdm:
        # Lightning's own training bar (the documented place to customise it), of the throttled class; the
        # arguments are those of TQDMProgressBar.init_train_tqdm in Lightning 2.6
        return _ThrottledTqdm(
            desc=self.train_description,
            position=(2 * self.process_position),
            disable=self.is_disabled,
            leave=True,
            dynamic_ncols=True,
            file=sys.stderr,
            smoothing=0,
            bar_format=self.BAR_FORMAT,
        )

    def init_validation_tqdm(self) -> Tqdm:
        return Tqdm(disable=True)

    init_sanity_tqdm = init_test_tqdm = init_predict_tqdm = init_validation_tqdm

    def get_metrics(self, trainer: Trainer, pl_module: LightningModule) -> Mapping:
        return _MetricsWhenRead(functools.partial(self._gather_metrics, trainer, pl_module))

    def _gather_metrics(self, trainer: Trainer, pl_module: LightningModule) -> dict:
        metrics = super().get_metrics(trainer, pl_module)
        if isinstance(pl_module, GradientDescentExample) and pl_module.last_loss is not None:
            metrics["loss"] = pl_module.last_loss  # lit_gd logs train/loss itself, not with self.log
        return metrics
