"""Hand-derived gradients against autograd, micrograd-style."""

import numpy as np
import pytest
import torch

from lit_gd import LinearRegression, LinearRegressionData, Quadratic
from lit_gd.examples.manual_gradient import mse_gradients
from tests.helpers import fit_cli, fit_trainer, values

X = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
Y = 2 * X


@pytest.mark.parametrize(("w", "b"), [(0.0, 0.0), (1.5, -0.25), (3.0, 2.0)])
def test_manual_mse_gradient_equals_autograd(w, b):
    model = LinearRegression(w=w, b=b)
    loss, _, _ = model.model_step((X, Y))
    loss.backward()
    manual = mse_gradients(X, Y, torch.tensor(w), torch.tensor(b))
    assert model.w.grad.item() == pytest.approx(manual["w"].item(), rel=1e-6)
    assert model.b.grad.item() == pytest.approx(manual["b"].item(), rel=1e-6)


def test_seed_002_numpy_gradient_is_four_times_too_large():
    """Tutorial 002's ``np.dot(2*x, y_pred - y).mean()`` is a sum over the 4 points, not a mean: hence its
    faster convergence (w = 1.2 after one step instead of 0.3), not any imprecision of backpropagation."""
    x, y = np.array([1, 2, 3, 4], dtype=np.float32), np.array([2, 4, 6, 8], dtype=np.float32)
    seed_gradient = np.dot(2 * x, 0 * x - y).mean()
    true_gradient = mse_gradients(X, Y, torch.tensor(0.0), None)["w"]
    assert seed_gradient == pytest.approx(4 * true_gradient.item())
    assert 0.0 - 0.01 * seed_gradient == pytest.approx(1.2)
    assert 0.0 - 0.01 * true_gradient.item() == pytest.approx(0.3)


@pytest.mark.parametrize("x", [5.0, -1.0, 0.25, -7.0])
def test_quadratic_gradient_is_2x_plus_2(x):
    model = Quadratic(x=x)
    model().backward()
    assert model.x.grad.item() == 2 * x + 2
    if x == 5.0:
        assert model.x.grad.item() == 12.0


@pytest.mark.parametrize("bias", [True, False])
def test_manual_gradient_run_equals_autograd_run(bias, tmp_path):
    manual, autograd = LinearRegression(bias=bias, gradient="manual"), LinearRegression(bias=bias)
    fit_trainer(manual, LinearRegressionData(), 100, tmp_path)
    fit_trainer(autograd, LinearRegressionData(), 100, tmp_path)
    for got, want in zip(manual.parameters(), autograd.parameters(), strict=True):
        torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-7)


def test_manual_gradient_logs_autograd_beside_it():
    run = fit_cli("linear_regression", "--model.bias false --model.gradient manual --trainer.max_epochs 20")
    assert values(run, "grad/w")[0] == pytest.approx(-30.0)  # mean(2x(0 - 2x)) = -4 mean(x²) = -30
    assert values(run, "grad_autograd/w") == pytest.approx(values(run, "grad/w"), rel=1e-6)
    assert max(abs(v) for v in values(run, "grad_difference/w")) < 1e-5
    assert values(run, "param/w")[1] == pytest.approx(0.3)  # not tutorial 002's 1.2
