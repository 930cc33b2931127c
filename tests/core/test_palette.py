"""The shipped palette covers every class and drives the views' colours; a broken one names the bad entry."""

import copy
import json

import numpy as np
import pytest

from workbench.core.data.dataset import CLASS_COLORS
from workbench.core.model.spec import MAX_CLASSES
from workbench.core.palette import PALETTE_FILE, parse_palette, resource, rgba
from workbench.core.present.network_layout import diverging_palette
from workbench.core.present.views import probabilities_to_rgba


@pytest.fixture
def raw() -> dict:
    return json.loads(resource(PALETTE_FILE).read_text(encoding="utf-8"))


def test_every_class_has_its_own_colour(raw) -> None:
    classes = parse_palette(raw).classes
    assert len(classes) == MAX_CLASSES == 20
    assert len({c.upper() for c in classes}) == MAX_CLASSES
    assert classes == CLASS_COLORS


def test_decision_regions_take_the_class_colour_and_alpha_from_the_palette(raw) -> None:
    certain = np.zeros((4, 3), np.float32)
    certain[np.arange(4), [0, 1, 2, 2]] = 1.0
    image = probabilities_to_rgba(certain, 2, 2).reshape(-1, 4)
    for pixel, cls in zip(image, [0, 1, 2, 2], strict=True):
        assert tuple(pixel[:3]) == rgba(raw["classes"][cls])[:3]
        assert pixel[3] == round(raw["alpha"]["decision_regions"] * 255)


def test_weight_colours_run_from_negative_through_zero_to_positive(raw) -> None:
    ramp = diverging_palette()
    assert tuple(ramp[0]) == rgba(raw["weights"]["negative"])[:3]
    assert tuple(ramp[-1]) == rgba(raw["weights"]["positive"])[:3]


def test_both_themes_name_the_same_colours(raw) -> None:
    shipped = parse_palette(raw)
    assert set(shipped.theme(dark=True)) == set(shipped.theme(dark=False))
    assert shipped.theme(dark=True)["plot_background"] != shipped.theme(dark=False)["plot_background"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["classes"].__setitem__(3, "blue"), r"classes\[3\]"),
        (lambda p: p["classes"].pop(), "class colours for 20 classes"),
        (lambda p: p["weights"].__setitem__("positive", "#12345"), "weights.positive"),
        (lambda p: p["alpha"].__setitem__("decision_regions", 1.5), "alpha.decision_regions"),
        (lambda p: p["themes"]["dark"].pop("icon"), "same names"),
    ],
)
def test_a_broken_palette_names_the_bad_entry(raw, change, message) -> None:
    broken = copy.deepcopy(raw)
    change(broken)
    with pytest.raises(ValueError, match=message):
        parse_palette(broken)


def test_colours_with_alpha_are_read_alpha_last() -> None:
    assert rgba("#0072B228") == (0, 114, 178, 40)
    assert rgba("#ffffff") == (255, 255, 255, 255)
