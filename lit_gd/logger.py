"""The logger every ``lit-gd`` run writes to: Lightning's TensorBoardLogger without the ``epoch`` scalar."""

from collections.abc import Mapping

from lightning.pytorch.loggers import TensorBoardLogger

from lit_gd.checksum import use_c_checksum

use_c_checksum()  # the same event files, checksummed in C


class TensorBoardLoggerWithoutEpoch(TensorBoardLogger):
    """Lightning's ``TensorBoardLogger``, less the ``epoch`` scalar that Lightning adds to every batch of
    metrics logged with ``self.log`` (``LoggerConnector.log_metrics``: "added metrics for convenience").
    lit_gd's charts count optimizer steps; the epoch's own chart, a rising line, only came first in
    TensorBoard's Time Series, before the loss.

    ``evaluated_step``: validate, test or predict from a checkpoint log at the step the checkpoint was saved
    (Lightning, which restores only the weights for them, would log at step 0), so that ``test/loss``
    stands at the end of the training curves it is written beside.
    """

    def __init__(self, *args, evaluated_step: int | None = None, **kwargs):
        # TensorBoard's writer thread opens and closes the event file for every event it writes; its queue
        # (10 events by default) holds a step logger's flush of 100 steps, so training never waits on it
        kwargs.setdefault("max_queue", 1000)
        super().__init__(*args, **kwargs)
        self.evaluated_step = evaluated_step

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        step = step if self.evaluated_step is None else self.evaluated_step
        super().log_metrics({name: value for name, value in metrics.items() if name != "epoch"}, step)
