"""The profiler of a ``lit-gd`` run that asks for none: Lightning's own, a little cheaper.

Lightning wraps every hook it calls, and each step's parts, in ``trainer.profiler.profile(name)``: some
fourteen times a step of a one-step epoch. Its default profiler, ``PassThroughProfiler``, records nothing,
yet its ``profile`` is a generator-based context manager made anew each time (about 1 us, more in a step):
20 to 35 us of a tiny step in all, measured. ``NullProfiler`` records nothing either and hands back one
``nullcontext`` every time.
``--trainer.profiler simple`` (or ``advanced``, ``pytorch``) profiles as Lightning does.
"""

import contextlib

from lightning.pytorch.profilers import PassThroughProfiler

# the names Trainer(profiler=...) takes for Lightning's profilers (lightning.pytorch.trainer.setup)
LIGHTNING_PROFILERS = ("simple", "advanced", "pytorch", "xla")

_NOTHING = contextlib.nullcontext()


class NullProfiler(PassThroughProfiler):
    """``PassThroughProfiler`` whose ``profile`` context is made once."""

    def profile(self, action_name: str) -> contextlib.nullcontext:
        return _NOTHING
