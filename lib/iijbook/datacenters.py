"""IIJ's two new data centres: floor space by build step, shares, seats, tsubo and rack scenarios.

The release prints one table for each new centre (Yokohama 1 and Saitama 1):
floor space, server room and office space for STEP1 (January 2003), STEP2 and
STEP3, with a bracketed number beside each office space. Everything else about
the centres is derived here, with its formula:

>>> round(server_room_share(12911, 39165), 3)      # Yokohama 1, all steps
0.33
>>> round(office_m2_per_seat(662, 95), 2)           # Yokohama 1, STEP1: 662 m² for (95)
6.97
>>> round(to_tsubo(39165))                          # 39,165 m² × 121 / 400
11847
>>> racks(12911, 2.5)                               # at an assumed 2.5 m² per rack
5164
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from .data import data_centers
from .derived import Derived
from .metrics import Interval
from .periods import FiscalPeriod

#: One tsubo (坪) in square metres: exactly 400/121 m², about 3.306 m². A definition, not a
#: measurement: the Act for Enforcement of the Measurement Law (計量法施行法, Act No. 208 of
#: 7 June 1951, article 4, paragraph 3) fixes the tsubo at 400/121 m², carrying over the
#: Weights and Measures Act of 1891 (度量衡法), under which one shaku is 10/33 m and one tsubo
#: is a square six shaku on a side: (6 × 10/33)² = 400/121.
M2_PER_TSUBO: float = 400 / 121

CENTERS: tuple[str, ...] = ("Yokohama 1", "Saitama 1")
STEPS: tuple[str, ...] = ("STEP1", "STEP2", "STEP3")
ITEMS: tuple[str, ...] = ("floor_space", "server_room", "office_space", "office_seats")
#: The unit of the release's printed areas is one square metre, so each area stands for ±0.5 m².
_AREA_STEP = 1.0


def to_tsubo(m2: float) -> float:
    """Square metres in tsubo: ``m2 / (400/121) = m2 × 121 / 400``.

    >>> to_tsubo(400 / 121 * 10)
    10.0
    >>> round(to_tsubo(12911), 1)     # Yokohama 1's server rooms
    3905.6
    """
    return m2 / M2_PER_TSUBO


def to_m2(tsubo: float) -> float:
    """Tsubo in square metres: ``tsubo × 400/121``.

    >>> round(to_m2(1), 3)
    3.306
    """
    return tsubo * M2_PER_TSUBO


def area_text(m2: float) -> str:
    """An area in both units, square metres first: ``39,165 m² (11,847 tsubo)``.

    >>> area_text(662)
    '662 m² (200 tsubo)'
    """
    return f"{m2:,.0f} m² ({to_tsubo(m2):,.0f} tsubo)"


def step_table(center: str) -> pd.DataFrame:
    """One centre's table as the release prints it, as numbers: items by step and Total.

    A step printed ``-`` is zero (nothing added at that step).

    >>> step_table("Saitama 1").loc["server_room"].tolist()
    [2038.0, 2058.0, 640.0, 4736.0]
    """
    if center not in CENTERS:
        raise ValueError(f"center must be one of {CENTERS}, got {center!r}")
    t = data_centers()
    t = t[t["center"] == center]
    table = t.pivot(index="item", columns="step", values="value").astype(float)
    return table.loc[list(ITEMS), [*STEPS, "Total"]]


def printed_table(center: str) -> pd.DataFrame:
    """One centre's table with each cell as printed, office seats beside office space.

    >>> printed_table("Yokohama 1").iloc[2].tolist()
    ['Office space', '662m² (95)', '894m² (128)', '643m² (92)', '2,199m² (315)']
    """
    t = data_centers()
    t = t[t["center"] == center]
    cell = t.set_index(["item", "step"])["printed"]
    rows = []
    for item, label in (
        ("floor_space", "Floor space"),
        ("server_room", "Server room"),
        ("office_space", "Office space"),
    ):
        row = {"": label}
        for step in (*STEPS, "Total"):
            text = cell[(item, step)]
            if item == "office_space" and text != "-":
                text = f"{text} {cell[('office_seats', step)]}"
            row[step] = text
        rows.append(row)
    return pd.DataFrame(rows)


def totals_check() -> pd.DataFrame:
    """For each centre and item: the sum of the steps against the printed Total.

    >>> bool(totals_check()["matches"].all())
    True
    """
    rows = []
    for center in CENTERS:
        table = step_table(center)
        for item in ITEMS:
            steps = table.loc[item, list(STEPS)]
            total = table.loc[item, "Total"]
            rows.append(
                {
                    "center": center,
                    "item": item,
                    "sum_of_steps": float(steps.sum()),
                    "printed_total": float(total),
                    "matches": bool(steps.sum() == total),
                }
            )
    return pd.DataFrame(rows)


def server_room_share(server_room: float, floor_space: float) -> float:
    """Share of floor space that is server room: ``server room / floor space``.

    Yokohama 1 in total: 12,911 / 39,165 = 33.0%.

    >>> round(server_room_share(4353, 19420), 3)     # Yokohama 1, STEP1
    0.224
    """
    if floor_space <= 0:
        raise ValueError(f"floor space must be positive, got {floor_space!r}")
    return float(server_room / floor_space)


def office_m2_per_seat(office_m2: float, seats: float) -> float:
    """Office space per bracketed unit (most likely a seat): ``office space / seats``.

    Saitama 1: 1,045 m² for (148) = 7.06 m² each.

    >>> round(office_m2_per_seat(2199, 315), 2)       # Yokohama 1, all steps
    6.98
    """
    if seats <= 0:
        raise ValueError(f"seats must be positive, got {seats!r}")
    return float(office_m2 / seats)


def build_out(center: str) -> pd.DataFrame:
    """The centre as it stands after each step (cumulative), with its composition.

    ``other`` is floor space that is neither server room nor office (plant,
    corridors, loading, common areas): ``floor − server room − office``.

    Saitama 1 adds server rooms at STEP2 and STEP3 but no floor space: its
    building is all there at STEP1, and later steps fit out server rooms in it.

    >>> b = build_out("Saitama 1")
    >>> b["server_room"].tolist(), [round(s, 3) for s in b["server_share"]]
    ([2038.0, 4096.0, 4736.0], [0.144, 0.29, 0.335])
    """
    table = step_table(center)
    rows = []
    for i, step in enumerate(STEPS):
        upto = list(STEPS[: i + 1])
        floor, server, office, seats = (float(table.loc[item, upto].sum()) for item in ITEMS)
        rows.append(
            {
                "center": center,
                "after": step,
                "floor_space": floor,
                "server_room": server,
                "office_space": office,
                "office_seats": seats,
                "other": floor - server - office,
                "server_share": server_room_share(server, floor),
            }
        )
    return pd.DataFrame(rows)


def step_shares(center: str) -> pd.DataFrame:
    """Server-room share of the floor space each step adds (NaN where a step adds no floor space).

    >>> [round(s, 3) for s in step_shares("Yokohama 1")["server_share"]]
    [0.224, 0.44, 0.421, 0.33]
    >>> step_shares("Saitama 1")["server_share"].isna().tolist()
    [False, True, True, False]
    """
    table = step_table(center)
    rows = []
    for step in (*STEPS, "Total"):
        floor, server = table.loc["floor_space", step], table.loc["server_room", step]
        rows.append(
            {
                "step": step,
                "floor_space": float(floor),
                "server_room": float(server),
                "server_share": server_room_share(server, floor) if floor > 0 else math.nan,
            }
        )
    return pd.DataFrame(rows)


def _area(value: float) -> Interval:
    return Interval.around(value, _AREA_STEP)


def derived_figures() -> list[Derived]:
    """The ratios the tables imply, with the interval the printed areas' rounding allows.

    >>> [round(d.value, 3) for d in derived_figures()][:2]
    [0.33, 0.335]
    """
    out = []
    for center in CENTERS:
        t = step_table(center)
        s, f = t.loc["server_room", "Total"], t.loc["floor_space", "Total"]
        out.append(
            Derived(
                f"{center}: server-room share of floor space",
                "2Q02",
                server_room_share(s, f),
                _area(s) / _area(f),
                f"server room / floor space = {s:,.0f} / {f:,.0f} m²",
                unit="ratio",
            )
        )
    for center in CENTERS:
        t = step_table(center)
        o, n = t.loc["office_space", "Total"], t.loc["office_seats", "Total"]
        out.append(
            Derived(
                f"{center}: office space per bracketed unit (seat)",
                "2Q02",
                office_m2_per_seat(o, n),
                _area(o) / n,
                f"office space / bracketed number = {o:,.0f} m² / {n:,.0f}",
                unit="m2",
            )
        )
    return out


def racks(server_room_m2: float, m2_per_rack: float) -> int:
    """Whole racks a server room holds at an assumed area per rack: ``floor(area / m² per rack)``.

    The area per rack is an assumption (it is not in the release): the rack's own
    footprint plus its share of aisles, cooling and power distribution.

    >>> racks(4736, 2.5), racks(4736, 5.0)            # Saitama 1, all steps
    (1894, 947)
    """
    if not (m2_per_rack > 0 and math.isfinite(m2_per_rack)):
        raise ValueError(f"m2_per_rack must be a positive number, got {m2_per_rack!r}")
    return math.floor(server_room_m2 / m2_per_rack + 1e-9)


def rack_scenarios(up_to_step: str, m2_per_rack_values: Iterable[float]) -> pd.DataFrame:
    """Racks in each centre's server rooms built up to a step, for each area per rack.

    >>> r = rack_scenarios("STEP1", [2.0, 4.0])
    >>> r[r.center == "Yokohama 1"]["racks"].tolist()      # 4,353 / 2 and 4,353 / 4
    [2176, 1088]
    """
    if up_to_step not in STEPS:
        raise ValueError(f"up_to_step must be one of {STEPS}, got {up_to_step!r}")
    rows = []
    values = list(m2_per_rack_values)
    for center in CENTERS:
        b = build_out(center).set_index("after")
        area = float(b.loc[up_to_step, "server_room"])
        for v in values:
            rows.append(
                {"center": center, "m2_per_rack": float(v), "server_room": area, "racks": racks(area, v)}
            )
    return pd.DataFrame(rows)


def opening_quarter(opens: str) -> FiscalPeriod:
    """The fiscal quarter of an opening month ``YYYY-MM``: January 2003 is in 4Q02.

    >>> str(opening_quarter("2003-01"))
    '4Q02'
    """
    import datetime as dt

    year, month = (int(x) for x in opens.split("-"))
    return FiscalPeriod.quarter_of(dt.date(year, month, 1))


def timeline() -> pd.DataFrame:
    """Each step of each centre with its opening month as printed (later steps carry none).

    >>> timeline()[["center", "step", "opens", "fiscal_quarter"]].iloc[0].tolist()
    ['Yokohama 1', 'STEP1', '2003-01', '4Q02']
    """
    t = data_centers()
    t = t[(t["item"] == "server_room") & (t["step"] != "Total")]
    rows = []
    for _, r in t.iterrows():
        opens = r["opens"] if isinstance(r["opens"], str) else None
        rows.append(
            {
                "center": r["center"],
                "step": r["step"],
                "opens": opens,
                "fiscal_quarter": str(opening_quarter(opens)) if opens else None,
                "server_room": float(r["value"]),
            }
        )
    return pd.DataFrame(rows)
