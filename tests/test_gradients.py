"""Hand-derived gradients against autograd, micrograd-style."""

import numpy as np
import pytest
import torch

from lit_gd import LinearRegression, Quadratic

X = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
Y = 2 * X


def mse_gradient(x, y, w, b):
    """d/dw and d/db of mean((w·x + b - y)²): mean(2x(ŷ - y)) and mean(2(ŷ - y))."""
    error = w * x + b - y
    return (2 * x * error).mean(), (2 * error).mean()


@pytest.mark.parametrize(("w", "b"), [(0.0, 0.0), (1.5, -0.25), (3.0, 2.0)])
def test_manual_mse_gradient_equals_autograd(w, b):
    model = LinearRegression(w=w, b=b)
    loss, _, _ = model.model_step((X, Y))
    loss.backward()
    grad_w, grad_b = mse_gradient(X, Y, w, b)
    assert model.w.grad.item() == pytest.approx(grad_w.item(), rel=1e-6)
    assert model.b.grad.item() == pytest.approx(grad_b.item(), rel=1e-6)


def test_seed_002_numpy_gradient_is_four_times_too_large():
    """Seed 002's ``np.dot(2*x, y_pred - y).mean()`` is a sum over the 4 points, not a mean: hence its
    faster convergence (w = 1.2 after one step instead of 0.3), not any imprecision of backpropagation."""
    x, y = np.array([1, 2, 3, 4], dtype=np.float32), np.array([2, 4, 6, 8], dtype=np.float32)
    seed_gradient = np.dot(2 * x, 0 * x - y).mean()
    true_gradient, _ = mse_gradient(X, Y, 0.0, 0.0)
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
