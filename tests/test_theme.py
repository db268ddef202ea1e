"""Colours a colour-blind reader can tell apart, and text colours that can be read."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from iijbook import theme

# Machado, Oliveira and Fernandes (2009), full severity, applied to linear RGB.
CVD = {
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}
#: A CIE76 colour difference of 10 or more reads as clearly different at a glance.
MIN_DELTA_E = 10.0


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ np.clip(
        linear_rgb, 0, 1
    )
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _luminance(hex_colour: str) -> float:
    return float(np.array([0.2126, 0.7152, 0.0722]) @ _linear(hex_colour))


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_on_known_pairs():
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # the classic 4.5 borderline


@pytest.mark.parametrize("vision", ["normal", *CVD])
def test_series_colours_stay_distinct_for_colour_blind_readers(vision):
    colours = list(theme.ROLE_COLOURS.values()) + [
        c for c in theme.PALETTE[:6] if c not in theme.ROLE_COLOURS.values()
    ]
    matrix = np.eye(3) if vision == "normal" else np.array(CVD[vision])
    labs = {c: _lab(matrix @ _linear(c)) for c in colours}
    worst = min(
        (float(np.linalg.norm(labs[a] - labs[b])), a, b) for a, b in itertools.combinations(colours, 2)
    )
    assert worst[0] >= MIN_DELTA_E, f"{vision}: {worst[1]} and {worst[2]} differ by only ΔE {worst[0]:.1f}"


@pytest.mark.parametrize(("base", "text"), list(theme.TEXT_ON_WHITE.items()))
def test_text_shades_are_readable_on_white(base, text):
    assert contrast(text, "#FFFFFF") >= 4.5
    assert contrast(base, "#FFFFFF") < contrast(text, "#FFFFFF")
