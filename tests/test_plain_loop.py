"""Each example trained by Lightning ends with the parameters of the same run written as a plain PyTorch
loop in the tutorials' style: same initial values, same data, same number of SGD steps (the loops and their
step counts are in tests/examples.py, one row per example)."""

import pytest
import torch

from lit_gd.examples import EXAMPLES
from tests.examples import EXPECTED, SEED
from tests.helpers import fit_trainer

WITH_LOOPS = [name for name, expected in EXPECTED.items() if expected.plain_loop is not None]


@pytest.mark.parametrize("example", WITH_LOOPS)
def test_lightning_equals_plain_loop(example, tmp_path):
    module_class, data_class = EXAMPLES[example]
    plain_loop, steps = EXPECTED[example].plain_loop, EXPECTED[example].plain_steps
    torch.manual_seed(SEED)
    model = module_class()
    fit_trainer(model, data_class(), steps, tmp_path)
    expected = plain_loop(steps)
    actual = [p.detach() for p in model.parameters()]
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        torch.testing.assert_close(got.reshape(want.shape), want, rtol=1e-6, atol=1e-6)
