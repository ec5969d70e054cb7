"""The logger every ``lit-gd`` run writes to: Lightning's TensorBoardLogger without the ``epoch`` scalar."""

from collections.abc import Mapping

from lightning.pytorch.loggers import TensorBoardLogger

from lit_gd.checksum import use_c_checksum

use_c_checksum()  # the same event files, checksummed in C


class TensorBoardLoggerWithoutEpoch(TensorBoardLogger):
    """Lightning's ``TensorBoardLogger``, less the ``epoch`` scalar that Lightning adds to every batch of
    metrics logged with ``self.log`` (``LoggerConnector.log_metrics``: "added metrics for convenience").
    lit_gd's charts count optimizer steps; the epoch's own chart, a rising line, only came first in
    TensorBoard's Time Series, before the loss."""

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        super().log_metrics({name: value for name, value in metrics.items() if name != "epoch"}, step)
