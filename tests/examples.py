"""What every example must show, in one table keyed by its config's name (configs/<name>.yaml): the
metrics each stage reports, the parameters logged (with their sizes, which decide their histograms), the
figures drawn, and the plain PyTorch loop, written in the tutorials' style, that its training must equal.

The tests parametrise over this table, and a config without a row fails ``test_every_config_has_a_row``.
The loops start from the same values as the module (its random ones after ``torch.manual_seed(SEED)``),
on the same data, with the same number of plain SGD steps.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

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
    relu = lambda t: torch.maximum(torch.tensor(0.0), t)  # noqa: E731  (the tutorial's own relu)
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


def logistic_regression_loop(steps):
    generator = torch.Generator().manual_seed(0)
    x = 1 + 9 * torch.rand(100, 2, generator=generator)
    y = torch.bernoulli(torch.sigmoid(x[:, :1] - x[:, 1:]), generator=generator)
    train = torch.randperm(100, generator=torch.Generator().manual_seed(0))[20:].sort().values  # 20 held out
    torch.manual_seed(SEED)
    linear = nn.Linear(2, 1)
    bce = lambda: nn.BCELoss()(torch.sigmoid(linear(x[train])), y[train])  # noqa: E731
    return plain_sgd(list(linear.parameters()), bce, 0.2, steps)


def two_layer_loop(steps):
    x, y = torch.tensor([[3.0, 5.0]]), torch.tensor([[10.0]])
    net, params = two_layers(nn.ReLU(), nn.ReLU())
    return plain_sgd(params, lambda: torch.mean(torch.square(net(x) - y)), 0.1, steps)


@dataclass(frozen=True)
class Expected:
    metrics: list[str]  # train/<metric>, val/<metric> and test/<metric>, beside <stage>/loss
    parameters: dict[str, int]  # each parameter, named as the module names it -> its number of elements
    figures: list[str]  # figures/<name> in TensorBoard
    plain_loop: Callable[[int], list[torch.Tensor]] | None = None  # steps -> the final parameters
    plain_steps: int = 0


EXPECTED = {
    "bce_classifier": Expected(
        ["accuracy", "f1", "auroc"],
        {"fc1.weight": 6, "fc1.bias": 3, "fc2.weight": 3, "fc2.bias": 1},
        ["loss", "decision"],
        bce_classifier_loop,
        100,
    ),
    "linear_regression": Expected(
        ["mse", "mae", "r2"], {"w": 1, "b": 1}, ["loss", "fit", "landscape"], linear_regression_loop, 100
    ),
    "logistic_regression": Expected(
        ["accuracy", "f1", "auroc"],
        {"linear.weight": 2, "linear.bias": 1},
        ["loss", "decision"],
        logistic_regression_loop,
        300,
    ),
    "not_gate": Expected(
        ["accuracy", "f1", "auroc"], {"w": 1, "b": 1}, ["loss", "decision"], not_gate_loop, 5
    ),
    "quadratic": Expected([], {"x": 1}, ["loss", "descent"], quadratic_loop, 10),  # no targets, no metrics
    "relu_regression": Expected(
        ["mse", "mae", "r2"], {"weight": 2, "bias": 1}, ["loss", "predictions"], relu_regression_loop, 300
    ),
    "synthetic_regression": Expected(["mse", "mae", "r2"], {"linear.weight": 16, "linear.bias": 1}, ["loss"]),
    "two_layer": Expected(
        ["mse", "mae"],  # one data point: R² is undefined
        {"linear1.weight": 6, "linear1.bias": 3, "linear2.weight": 3, "linear2.bias": 1},
        ["loss", "predictions"],
        two_layer_loop,
        3,
    ),
}
