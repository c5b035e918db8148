"""The boosted trees of the line model's second stage (cleaner/trees.py):
vectorized evaluation agrees with walking each line down each tree, the
explanation adds up to the logit, and a broken tree is refused on load."""
from __future__ import annotations

import numpy as np
import pytest

from cleaner.trees import BoostedTrees

NAMES = ("a", "b", "c")
# x_a <= 0.5 ? (x_b <= 2 ? -1 : 1) : 3
TREE = {"feature": [0, 1, -1, -1, -1], "threshold": [0.5, 2.0, 0.0, 0.0, 0.0],
        "left": [1, 2, 0, 0, 0], "right": [4, 3, 0, 0, 0], "value": [0.4, -0.6, -1.0, 1.0, 3.0]}


def _walk(tree: dict, x: np.ndarray) -> float:
    node = 0
    while tree["feature"][node] >= 0:
        node = tree["right" if x[tree["feature"][node]] > tree["threshold"][node] else "left"][node]
    return tree["value"][node]


def _random_tree(rng: np.random.Generator, depth: int) -> dict:
    tree = {"feature": [], "threshold": [], "left": [], "right": [], "value": []}

    def grow(d: int) -> int:
        i = len(tree["feature"])
        for key in tree:
            tree[key].append(0)
        if d == depth or rng.random() < 0.2:
            tree["feature"][i], tree["value"][i] = -1, float(rng.normal())
            return i
        tree["feature"][i] = int(rng.integers(len(NAMES)))
        tree["threshold"][i] = float(rng.normal())
        tree["left"][i] = grow(d + 1)
        tree["right"][i] = grow(d + 1)
        tree["value"][i] = float(rng.normal())
        return i

    grow(0)
    return tree


def test_a_hand_made_tree():
    trees = BoostedTrees({"features": list(NAMES), "baseline": 0.25, "trees": [TREE]}, NAMES)
    rows = np.array([[0.0, 1.0, 9.0], [0.0, 2.5, 9.0], [0.5, 2.0, 9.0], [0.6, 0.0, 9.0]])
    assert trees.logits(rows.T).tolist() == [-0.75, 1.25, -0.75, 3.25]


def test_vectorized_evaluation_matches_walking_every_line():
    rng = np.random.default_rng(7)
    spec = {"features": list(NAMES), "baseline": -0.3, "trees": [_random_tree(rng, 4) for _ in range(25)]}
    trees = BoostedTrees(spec, NAMES)
    rows = rng.normal(size=(500, len(NAMES)))
    rows[:50, 0] = spec["trees"][0]["threshold"][0]  # values on a threshold go left
    expected = [spec["baseline"] + sum(_walk(t, x) for t in spec["trees"]) for x in rows]
    assert np.allclose(trees.logits(rows.T), expected, rtol=0, atol=1e-12)


def test_contributions_add_up_to_the_logit():
    rng = np.random.default_rng(8)
    spec = {"features": list(NAMES), "baseline": 0.1, "trees": [_random_tree(rng, 3) for _ in range(10)]}
    trees = BoostedTrees(spec, NAMES)
    for x in rng.normal(size=(50, len(NAMES))):
        z = trees.logits(x[:, None])[0]
        assert trees.bias + trees.contributions(x).sum() == pytest.approx(z, abs=1e-12)
    # a feature no split on the path uses gets no credit
    credits = BoostedTrees({"features": list(NAMES), "baseline": 0.0, "trees": [TREE]}, NAMES).contributions(
        np.array([1.0, 0.0, 0.0]))
    assert credits.tolist() == [3.0 - 0.4, 0.0, 0.0]


@pytest.mark.parametrize("broken", [
    {"left": [0, 2, 0, 0, 0]},  # a child pointing back at its parent: a cycle
    {"right": [4, 9, 0, 0, 0]},  # a child that does not exist
    {"feature": [0, 5, -1, -1, -1]},  # a feature the model does not have
    {"value": [0.4, -0.6, -1.0, 1.0]},  # arrays of different lengths
])
def test_a_broken_tree_is_refused(broken):
    with pytest.raises(ValueError):
        BoostedTrees({"features": list(NAMES), "baseline": 0.0, "trees": [{**TREE, **broken}]}, NAMES)


def test_a_model_for_other_features_is_refused():
    with pytest.raises(ValueError, match="feature list"):
        BoostedTrees({"features": ["a", "b"], "baseline": 0.0, "trees": [TREE]}, NAMES)
