"""How a run that cannot go on ends: one line and an exit status, the same from ``lit-gd`` and from
``lit_gd.fit``; a file that cannot be written, from any thread; another process of a DDP run that ended;
and the processes Lightning launches, which end with the one that launched them and stay silent."""

import ctypes
import os
import re
import signal
import sys
import threading
from argparse import ArgumentError

import torch
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch.utilities.exceptions import SIGTERMException

from lit_gd.errors import InputError, LitGdError, TrainingStopped
from lit_gd.flags import condense_parse_error


def refused_setting(error: BaseException) -> InputError:
    """A setting Lightning refused, in one line: its own message, its line breaks made spaces."""
    return InputError(" ".join(str(error).split()))


def one_line_error(error: BaseException) -> LitGdError | None:
    """The one line lit_gd reports for an exception from a run, as a LitGdError that ``main`` prints and
    ``lit_gd.fit`` raises: an InputError for what the user asked, a TrainingStopped for a run that had to stop
    (each with its exit status); None for an exception that is not the user's doing (a bug, which keeps its
    traceback)."""
    if isinstance(error, KeyboardInterrupt):  # Ctrl-C before training started, or a second one during it
        return TrainingStopped("interrupted (Ctrl-C); checkpoints written before are kept", exit_code=130)
    if isinstance(error, SIGTERMException):  # while Lightning set up, before lit-gd's handler took over
        return TrainingStopped("stopped by SIGTERM before training started", exit_code=143)
    if isinstance(error, ArgumentError):  # jsonargparse could not parse the command line or a config
        return InputError(condense_parse_error(str(error)), exit_code=2)
    if isinstance(error, (MisconfigurationException, ModuleNotFoundError)):  # Lightning refused a setting
        return refused_setting(error)
    if not isinstance(error, Exception):  # --help's exit, among others
        return None
    cause = reported_cause(error)
    if cause is None or isinstance(cause, LitGdError):
        return cause
    if isinstance(cause, OSError):
        where = f" {cause.filename}" if cause.filename else ""
        return TrainingStopped(f"cannot write{where}: {cause.strerror}; checkpoints written before are kept")
    return TrainingStopped(f"another process of this run ended ({_first_line(cause)})")


def keep_writer_errors() -> list[OSError]:
    """A file that cannot be written from a thread (TensorBoard writes its events from one) is kept for
    ``run_reported`` to report in one line, not printed as the thread's traceback and forgotten."""
    kept: list[OSError] = []

    def keep(args: threading.ExceptHookArgs) -> None:
        if isinstance(args.exc_value, OSError):
            kept.append(args.exc_value)
        else:
            threading.__excepthook__(args)

    threading.excepthook = keep
    return kept


# A process that Lightning started for DDP, beside the one the user started (which prints for the run)
LAUNCHED_BY_LIGHTNING = int(os.environ.get("LOCAL_RANK", 0)) > 0


def end_with_launcher() -> None:
    """Ends this process when the one that launched it ends, even by kill -9, instead of leaving it
    waiting for the dead one in a collective (Linux's parent-death signal)."""
    if sys.platform == "linux":
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the launcher was gone already
            os._exit(1)


def _first_line(error: BaseException) -> str:
    """The gist of an error from torch's C++ side: its first sentence, without the source location."""
    line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return re.sub(r"^\[[^\]]*\]\s*", "", line).split(". ")[0]


def fail(reported: LitGdError) -> None:
    """One line on stderr, then exit with the error's status. A run stopped mid-way first ends whatever line
    the progress bar was drawing; one stopped by a signal, as the user asked, is not called an error. The
    processes Lightning launched for DDP exit silently: the user's own process speaks for the run."""
    if not LAUNCHED_BY_LIGHTNING:
        stopped = isinstance(reported, TrainingStopped)
        kind = "" if stopped and reported.signalled else "error: "
        try:
            print(f"{chr(10) if stopped else ''}lit-gd: {kind}{reported}", file=sys.stderr)
        except OSError:  # the terminal is gone (SIGHUP)
            pass
    sys.exit(reported.exit_code)


def reported_cause(error: BaseException | None) -> BaseException | None:
    """The error to report in one line behind an exception that jsonargparse or Lightning may have wrapped:
    a user's mistake, a stop, a file that cannot be written, another process's end."""
    reported = (LitGdError, OSError)
    while error is not None and not (isinstance(error, reported) or another_process_ended(error)):
        error = error.__cause__ or error.__context__
    return error


def another_process_ended(error: BaseException) -> bool:
    """A collective failed because another process of the run is gone (killed, crashed): torch's DistError,
    or gloo's plain RuntimeError from its TCP transport ("Connection reset by peer")."""
    return isinstance(error, torch.distributed.DistError) or (
        isinstance(error, RuntimeError) and "gloo/transport" in str(error)
    )
