"""A held-out validation split where there is something to generalise: seeded, disjoint, and used."""

import pytest
import torch

from lit_gd import BCEClassifierData, LinearRegressionData
from lit_gd.errors import InputError
from tests.helpers import fit_cli, values


def rows(dataset) -> list[tuple]:
    inputs, targets = dataset.tensors
    return sorted(map(tuple, torch.cat([inputs, targets], dim=1).tolist()))


def test_split_partitions_the_points_the_same_way_every_time():
    first, second = (
        BCEClassifierData(labels="rule", samples=100),
        BCEClassifierData(labels="rule", samples=100),
    )
    first.setup("fit")
    second.setup("fit")
    assert (len(first.dataset), len(first.val_dataset)) == (80, 20)
    assert rows(first.val_dataset) == rows(second.val_dataset)
    assert sorted(rows(first.dataset) + rows(first.val_dataset)) == rows(first.full_dataset)


def test_random_labels_keep_every_point_for_training():
    data = BCEClassifierData()
    data.setup("fit")
    assert data.val_dataset is data.dataset is data.full_dataset


def test_learnable_rule_generalises_to_held_out_points():
    run = fit_cli("bce_classifier", "--data.labels rule --data.samples 100")
    accuracy = values(run, "val/accuracy")
    assert accuracy[0] < 0.7 and accuracy[-1] >= 0.95


@pytest.mark.parametrize("fraction", [0.01, 0.99])
def test_a_split_that_leaves_a_side_empty_is_refused(fraction):
    data = LinearRegressionData(val_fraction=fraction)
    with pytest.raises(
        InputError, match="keep at least one point for training and one for each split asked for"
    ):
        data.setup("fit")
