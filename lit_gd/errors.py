"""The errors lit_gd reports in one line, and the checks of a user's value that several modules share."""


class LitGdError(Exception):
    """A run lit_gd refused or had to stop, said in one line: ``lit-gd`` prints the message and exits with
    ``exit_code``; ``lit_gd.fit`` raises it."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class InputError(LitGdError, ValueError):
    """A bad value from the user."""


class TrainingStopped(LitGdError):
    """Training ended early for a reason the user must hear (divergence, dead units, a signal)."""

    @property
    def signalled(self) -> bool:
        """Stopped by a signal (exit status 128 + its number), not by a guard."""
        return self.exit_code > 128


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_whole_number(flag: str, value: int) -> None:
    """A count from the user (``--data.samples``): a whole number of at least 1."""
    if isinstance(value, bool) or value < 1:
        raise InputError(f"--{flag} must be a whole number of at least 1, got {value}")
