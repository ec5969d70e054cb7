"""Each example trained by Lightning ends with the parameters of the same run written as a plain PyTorch
loop in the seeds' style: same initial values, same data, same number of SGD steps."""

import pytest
import torch
from torch import nn

from lit_gd import (
    BCEClassifier,
    BCEClassifierData,
    LinearRegression,
    LinearRegressionData,
    NotGate,
    NotGateData,
    Quadratic,
    QuadraticData,
    ReLURegression,
    ReLURegressionData,
    TwoLayerData,
    TwoLayerReLU,
)
from tests.helpers import fit_trainer

SEED = 7


def plain_sgd(params: list[torch.Tensor], loss_fn, lr: float, steps: int) -> list[torch.Tensor]:
    for _ in range(steps):
        loss = loss_fn()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()
    return [p.detach() for p in params]


def linear_regression_loop(steps):
    x, y = torch.tensor([1.0, 2, 3, 4]), torch.tensor([2.0, 4, 6, 8])
    w, b = torch.tensor(0.0, requires_grad=True), torch.tensor(0.0, requires_grad=True)
    return plain_sgd([w, b], lambda: torch.mean((w * x + b - y) ** 2), 0.01, steps)


def relu_regression_loop(steps):
    x = torch.tensor([[1.0, 2], [3, 4], [5, 6], [7, 8]])
    y = torch.tensor([[10.0], [20], [30], [40]])
    torch.manual_seed(SEED)
    weights, bias = torch.rand((2, 1), requires_grad=True), torch.rand((1,), requires_grad=True)
    relu = lambda t: torch.maximum(torch.tensor(0.0), t)  # noqa: E731  (the seed's own relu)
    return plain_sgd([weights, bias], lambda: torch.mean((relu(x @ weights + bias) - y) ** 2), 0.01, steps)


def not_gate_loop(steps):
    x, y = torch.tensor([[0.0], [1.0]]), torch.tensor([1.0, 0.0])
    w = torch.tensor([[3.0]], requires_grad=True)
    b = torch.tensor([[1.0]], requires_grad=True)
    return plain_sgd([w, b], lambda: torch.mean(torch.square(torch.sigmoid(w @ x.T + b) - y)), 10.0, steps)


def quadratic_loop(steps):
    x = torch.tensor(5.0, requires_grad=True)
    return plain_sgd([x], lambda: x**2 + 2 * x + 1, 0.1, steps)


def two_layers(hidden_activation, output_activation):
    torch.manual_seed(SEED)
    net = nn.Sequential(nn.Linear(2, 3), hidden_activation, nn.Linear(3, 1), output_activation)
    return net, list(net.parameters())


def bce_classifier_loop(steps):
    generator = torch.Generator().manual_seed(0)
    x = torch.randint(1, 11, (10, 2), generator=generator).float()
    y = torch.randint(0, 2, (10, 1), generator=generator).float()
    net, params = two_layers(nn.ReLU(), nn.Sigmoid())
    return plain_sgd(params, lambda: nn.BCELoss()(net(x), y), 0.01, steps)


def two_layer_loop(steps):
    x, y = torch.tensor([[3.0, 5.0]]), torch.tensor([[10.0]])
    net, params = two_layers(nn.ReLU(), nn.ReLU())
    return plain_sgd(params, lambda: torch.mean(torch.square(net(x) - y)), 0.1, steps)


CASES = {
    "linear_regression": (LinearRegression, LinearRegressionData, linear_regression_loop, 100),
    "relu_regression": (ReLURegression, ReLURegressionData, relu_regression_loop, 300),
    "not_gate": (NotGate, NotGateData, not_gate_loop, 5),
    "quadratic": (Quadratic, QuadraticData, quadratic_loop, 10),
    "bce_classifier": (BCEClassifier, BCEClassifierData, bce_classifier_loop, 100),
    "two_layer": (TwoLayerReLU, TwoLayerData, two_layer_loop, 3),
}


@pytest.mark.parametrize("example", CASES)
def test_lightning_equals_plain_loop(example, tmp_path):
    module_class, data_class, plain_loop, steps = CASES[example]
    torch.manual_seed(SEED)
    model = module_class()
    fit_trainer(model, data_class(), steps, tmp_path)
    expected = plain_loop(steps)
    actual = [p.detach() for p in model.parameters()]
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        torch.testing.assert_close(got.reshape(want.shape), want, rtol=1e-6, atol=1e-6)
