"""The tsubo, and IIJ's two new data centres as they stand after each build step.

The data-centres chapter derives its figures in its own cells. Two things it names stay here,
for a reader to use: the tsubo's definition in square metres, and each centre's cumulative
build-out (the exercise on Saitama 1's server-room share checks against it).

>>> round(39165 / M2_PER_TSUBO)                      # Yokohama 1's floor space in tsubo
11847
>>> build_out("Yokohama 1")["floor_space"].tolist()  # 19,420, + 13,000, + 6,745
[19420.0, 32420.0, 39165.0]
"""

from __future__ import annotations

import pandas as pd

from .data import data_centers

#: One tsubo (坪) in square metres: exactly 400/121 m², about 3.306 m². A definition, not a
#: measurement: the Act for Enforcement of the Measurement Law (計量法施行法, Act No. 208 of
#: 7 June 1951, article 4, paragraph 3) fixes the tsubo at 400/121 m², carrying over the
#: Weights and Measures Act of 1891 (度量衡法), under which one shaku is 10/33 m and one tsubo
#: is a square six shaku on a side: (6 × 10/33)² = 400/121.
M2_PER_TSUBO: float = 400 / 121


def build_out(center: str) -> pd.DataFrame:
    """The centre as it stands after each step: running totals of the steps, with its composition.

    ``other`` is floor space that is neither server room nor office (plant, corridors,
    loading, common areas): ``floor − server room − office``; ``server_share`` is
    ``server room / floor``. Saitama 1 has all its floor at STEP1 and fits out server rooms
    in it at STEP2 and STEP3.

    >>> b = build_out("Saitama 1")
    >>> b["server_room"].tolist(), [round(s, 3) for s in b["server_share"]]
    ([2038.0, 4096.0, 4736.0], [0.144, 0.29, 0.335])
    """
    t = data_centers()
    t = t[(t["center"] == center) & (t["step"] != "Total")]
    if t.empty:
        raise ValueError(f"no data centre named {center!r}")
    b = t.pivot(index="step", columns="item", values="value").cumsum()
    return pd.DataFrame(
        {
            "center": center,
            "after": b.index,
            "floor_space": b["floor_space"],
            "server_room": b["server_room"],
            "office_space": b["office_space"],
            "office_seats": b["office_seats"],
            "other": b["floor_space"] - b["server_room"] - b["office_space"],
            "server_share": b["server_room"] / b["floor_space"],
        }
    ).reset_index(drop=True)
