"""Logistic regression: with an L2 penalty it is scikit-learn's LogisticRegression, on a real data set; points
that a line separates have no best model without a penalty, and lit-gd says so."""

import numpy as np
import pytest

import lit_gd
from tests.helpers import fit_cli, scalars

WARNING = "warning: every training point is classified correctly, so a line separates them"
SEPARABLE = (  # tutorial 001's rule labels: 1 where the first feature is larger, which a line separates
    "--data BCEClassifierData --data.labels rule --data.samples 100 --optimizer LBFGS"
    " --optimizer.line_search_fn strong_wolfe --trainer.max_epochs 3"
)


@pytest.mark.parametrize(
    ("flags", "warned"),
    [(SEPARABLE, True), (f"{SEPARABLE} --model.l2 0.01", False), ("--trainer.max_epochs 100", False)],
)
def test_separable_points_without_a_penalty_are_told(flags, warned, caplog):
    fit_cli("logistic_regression", flags)
    assert (WARNING in caplog.text) == warned


def test_float64_runs_draw_their_figures_too():
    run = fit_cli("logistic_regression", "--trainer.precision 64 --trainer.max_epochs 2")
    assert len(scalars(run)["train/loss"]) == 2 and list(run.glob("events.out.tfevents.*"))


@pytest.fixture
def breast_cancer():
    """scikit-learn's breast-cancer set (569 tumours, 30 measures, 1 = benign) as a CSV file."""
    from sklearn.datasets import load_breast_cancer

    cancer = load_breast_cancer()
    header = ",".join([name.replace(" ", "_") for name in cancer.feature_names] + ["benign"])
    table = np.column_stack([cancer.data, cancer.target])
    np.savetxt("cancer.csv", table, delimiter=",", header=header, comments="", fmt="%.17g")


def fit_breast_cancer(l2: float) -> lit_gd.FitResult:
    """To the optimum: LBFGS in float64 on the standardised training split (60%, 341 points)."""
    return lit_gd.fit(
        model="LogisticRegression",
        data="CSVClassificationData",
        optimizer="LBFGS",
        max_epochs=5,
        **{
            "model.l2": l2,
            "data.path": "cancer.csv",
            "data.target": "benign",
            "data.standardize": True,
            "optimizer.lr": 1,
            "optimizer.max_iter": 100,
            "optimizer.line_search_fn": "strong_wolfe",
            "optimizer.tolerance_grad": 1e-12,
            "optimizer.tolerance_change": 1e-15,
            "trainer.precision": 64,
            "trainer.accelerator": "cpu",
            "trainer.enable_progress_bar": False,
        },
    )


def test_with_a_penalty_it_is_scikit_learns_logistic_regression(breast_cancer):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    points = 341  # 569 less the 20% held out for validation and the 20% for test
    run = fit_breast_cancer(l2=1 / points)  # scikit-learn's C = 1 / (l2 · n) = 1, its default
    inputs, targets = (tensor.double().cpu().numpy() for tensor in run.data.dataset.tensors)
    assert inputs.shape == (points, 30)
    reference = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(inputs, targets.ravel())

    def loss(weight: np.ndarray, bias: float) -> float:  # lit_gd's: the mean BCE and (l2 / 2)·||w||²
        probability = 1 / (1 + np.exp(-(inputs @ weight + bias)))
        return log_loss(targets.ravel(), probability) + 0.5 / points * weight @ weight

    weight, bias = run.module.linear.weight.detach().numpy().ravel(), run.module.linear.bias.item()
    np.testing.assert_allclose(weight, reference.coef_.ravel(), rtol=1e-4)
    assert bias == pytest.approx(reference.intercept_[0], rel=1e-4)
    optimum = loss(reference.coef_.ravel(), reference.intercept_[0])
    assert abs(loss(weight, bias) - optimum) < 1e-6
    assert abs(run.series["train/loss"][-1] - optimum) < 1e-6  # the loss lit_gd logged at its last step


def test_without_a_penalty_the_breast_cancer_set_has_no_optimum(breast_cancer, caplog):
    run = fit_breast_cancer(l2=0)
    assert WARNING in caplog.text
    assert run.series["train/loss"][-1] < 1e-6  # towards 0, with the weights on their way to infinity
    assert np.abs(run.module.linear.weight.detach().numpy()).max() > 10
