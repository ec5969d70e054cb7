"""The logger every ``lit-gd`` run writes to: Lightning's TensorBoardLogger without the ``epoch`` scalar."""

from collections.abc import Callable, Mapping

from lightning.fabric.loggers.logger import rank_zero_experiment
from lightning.pytorch.loggers import TensorBoardLogger
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from torch.utils.tensorboard import SummaryWriter

from lit_gd.checksum import use_c_checksum

use_c_checksum()  # the same event files, checksummed in C


def remote_event_file(events: EventFileWriter) -> bool:
    """Whether TensorBoard writes this event file to a remote filesystem (``s3://`` and the like)."""
    return "://" in events._file_name


def keep_event_file_open(writer: SummaryWriter) -> None:
    """TensorBoard without TensorFlow writes every event by opening its file, appending to it and closing it
    again (the ``GFile`` that stands in for TensorFlow's): some 12 us an event, on the writer's thread, which
    shares the interpreter and the two cores of a small machine with training. Here the thread's record
    writer gets the file opened once instead, unbuffered: each event is on disk as soon as it is written, as
    before, with the same bytes. Local files only (``GFile`` also writes to ``s3://`` and the like)."""
    events = writer._get_file_writer().event_writer
    if remote_event_file(events):
        return
    events.flush()  # nothing left on the thread's queue while its file changes hands
    # closed by TensorBoard's RecordWriter when the writer closes
    events._async_writer._writer._writer = open(events._file_name, "ab", buffering=0)  # noqa: SIM115


def event_writing(writer: SummaryWriter) -> Callable[[bytes], None]:
    """What writes serialized events to ``writer``'s event file from this thread, after those its writer
    thread still holds. ``add_event`` hands each event to that thread: a lock, a queue and a thread switch,
    which cost more than the event itself (a histogram of 16 values, timed alone: 330 us through the
    thread, 145 us here; more in a run, where the thread waits for one of two busy cores). A local file is
    written here, through the thread's own record writer, once its queue is flushed; a remote one
    (``s3://``), which the thread flushes, is written there, as ``add_event`` does."""
    events = writer._get_file_writer().event_writer
    if remote_event_file(events):
        return events._async_writer.write
    events.flush()  # what the thread holds first, in order; it then has nothing to write
    return events._async_writer._writer.write


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
        # TensorBoard's writer queue (10 events by default) holds a burst of events (Lightning writes one per
        # value of self.log, and the step logger a flush of 100 steps to a remote file), so that training
        # never waits on the thread writing them
        kwargs.setdefault("max_queue", 1000)
        super().__init__(*args, **kwargs)
        self.evaluated_step = evaluated_step

    @property
    @rank_zero_experiment
    def experiment(self) -> SummaryWriter:
        """Lightning's SummaryWriter, its event file kept open (``keep_event_file_open``)."""
        made = self._experiment is None
        writer = super().experiment
        if made:
            keep_event_file_open(writer)
        return writer

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        step = step if self.evaluated_step is None else self.evaluated_step
        super().log_metrics({name: value for name, value in metrics.items() if name != "epoch"}, step)
