"""Logistic regression: points that a line separates have no best model without a penalty, and lit-gd says
so; with one, the model is scikit-learn's."""

import pytest

from tests.helpers import fit_cli

SEPARABLE = (  # tutorial 001's rule labels: 1 where the first feature is larger, which a line separates
    "--data BCEClassifierData --data.labels rule --data.samples 100 --optimizer LBFGS"
    " --optimizer.line_search_fn strong_wolfe --trainer.max_epochs 3"
)
WARNING = "warning: every training point is classified correctly, so a line separates them"


@pytest.mark.parametrize(
    ("flags", "warned"),
    [(SEPARABLE, True), (f"{SEPARABLE} --model.l2 0.01", False), ("--trainer.max_epochs 100", False)],
)
def test_separable_points_without_a_penalty_are_told(flags, warned, caplog):
    fit_cli("logistic_regression", flags)
    assert (WARNING in caplog.text) == warned
