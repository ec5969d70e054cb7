"""The synthetic regression that the speed measures run on: sized by flags, seeded, learnable, and trained
by Lightning in shuffled mini-batches to the parameters of a plain PyTorch loop over the same batches."""

from types import SimpleNamespace

import torch
from torch import nn

from lit_gd import SyntheticRegression, SyntheticRegressionData
from tests.helpers import fit_cli, scalars


def test_sized_by_flags_and_seeded():
    data = SyntheticRegressionData(samples=500, features=3)
    inputs, targets = data.make_tensors()
    assert inputs.shape == (500, 3) and targets.shape == (500, 1)
    assert torch.equal(inputs, SyntheticRegressionData(samples=500, features=3).make_tensors()[0])
    assert not torch.equal(inputs, SyntheticRegressionData(samples=500, features=3, seed=1).make_tensors()[0])
    weight, bias = data.true_parameters()
    assert 0.08 < (targets - (inputs @ weight + bias)).std().item() < 0.12  # the noise: 0.1


def test_the_model_takes_the_data_width_and_finds_the_true_weights():
    run = fit_cli("synthetic_regression", "--data.samples 300 --data.features 5 --trainer.max_epochs 200")
    assert SyntheticRegression.load_from_checkpoint(run / "checkpoints" / "last.ckpt").linear.in_features == 5
    assert scalars(run)["val/loss"][-1][1] < 0.02  # the noise's variance is 0.01


def test_shuffled_mini_batches_equal_a_plain_loop():
    """1000 points in shuffled batches of 64 for 3 epochs (48 steps), against a loop over the same order."""
    seed, epochs = 11, 3
    run = fit_cli(
        "synthetic_regression",
        "--data.samples 1000 --data.features 4 --data.val_fraction 0 --data.batch_size 64 "
        f"--data.shuffle true --trainer.max_epochs {epochs} --seed_everything {seed}",
    )
    trained = SyntheticRegression.load_from_checkpoint(run / "checkpoints" / "last.ckpt").linear

    torch.manual_seed(seed)  # as seed_everything before the model is built: the same initial weights
    plain = nn.Linear(4, 1)
    inputs, targets = SyntheticRegressionData(samples=1000, features=4).make_tensors()
    optimizer = torch.optim.SGD(plain.parameters(), lr=0.1)
    for epoch in range(epochs):
        order = torch.randperm(1000, generator=torch.Generator().manual_seed(seed + epoch))
        for batch in order.split(64):
            optimizer.zero_grad()
            nn.functional.mse_loss(plain(inputs[batch]), targets[batch]).backward()
            optimizer.step()
    for got, want in zip(trained.parameters(), plain.parameters(), strict=True):
        torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)


def test_the_data_set_moves_to_the_trainer_device_once_and_batches_are_cut_there():
    """At setup every set goes to the trainer's device (a GPU's, where there is one; the meta device stands
    in for it here), so no batch is copied there step by step."""
    data = SyntheticRegressionData(samples=100, features=2, batch_size=10)
    data.trainer = SimpleNamespace(strategy=SimpleNamespace(root_device=torch.device("meta")))
    data.setup("fit")
    for dataset in (data.dataset, data.val_dataset, data.test_dataset):
        assert all(tensor.device.type == "meta" for tensor in dataset.tensors)
    assert data.full_dataset.tensors[0].device.type == "cpu"  # only its shape is used: no second copy
    inputs, targets = next(iter(data.train_dataloader()))
    assert inputs.device.type == targets.device.type == "meta" and inputs.shape == (10, 2)
