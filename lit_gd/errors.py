"""The errors ``lit-gd`` reports in one line, and the check of a user's value that several modules share."""


class InputError(ValueError):
    """A bad value from the user: ``lit-gd`` prints the message on one line and exits non-zero."""


class TrainingStopped(Exception):
    """Training ended early for a reason the user must hear (divergence, dead units, a signal): ``lit-gd``
    prints the message on one line and exits with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

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
