"""Formatting as the book prints figures."""

import pytest
from iijbook import fmt


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (10.6e9, "¥10.6B"),
        (9.8789e9, "¥9.9B"),
        (662e6, "¥662M"),
        (-194e6, "−¥194M"),
        (44.0e9, "¥44.0B"),
        (999.6e6, "¥1.0B"),
        (5e3, "¥5.0K"),
        (12, "¥12"),
    ],
)
def test_yen(value, text):
    assert fmt.yen(value) == text


def test_yen_with_digits_and_dollars():
    assert fmt.yen(9.8789e9, 2) == "¥9.88B"
    assert fmt.usd(86.8e6) == "$86.8M"
    assert fmt.usd(90.4e6) == "$90.4M"


@pytest.mark.parametrize(
    ("value", "kwargs", "text"),
    [
        (0.073, {}, "7.3%"),
        (0.109, {}, "10.9%"),
        (0.073, {"signed": True}, "+7.3%"),
        (-0.0094, {"signed": True}, "−0.9%"),
        (0.2, {"digits": 0}, "20%"),
        (-0.0001, {}, "0.0%"),
    ],
)
def test_pct(value, kwargs, text):
    assert fmt.pct(value, **kwargs) == text


def test_rates_counts_areas():
    assert fmt.yen_rate(122.119) == "¥122.1"
    assert fmt.count(4.6e6) == "4.6M"
    assert fmt.count(211) == "211"
    assert fmt.area(39165) == "39,165 m²"


def test_missing_values_print_as_na():
    assert fmt.yen(float("nan")) == "n/a"
    assert fmt.pct(float("nan")) == "n/a"
