"""What the lib keeps for the data-centres chapter, checked against hand computation.

The chapter derives its tables, shares, seats and racks in its own cells; their hand-checked
values are tested in ``test_data_centers_chapter.py``.
"""

import pytest
from iijbook import datacenters


def test_tsubo_is_the_legal_definition():
    # 1 shaku = 10/33 m; 1 tsubo = (6 shaku)² = (60/33)² = 3600/1089 = 400/121 = 3.30579 m²
    assert datacenters.M2_PER_TSUBO == pytest.approx(3600 / 1089)
    assert datacenters.M2_PER_TSUBO == pytest.approx(3.305785, abs=1e-6)
    # 39,165 m² × 121 / 400 = 11,847.4 tsubo; 662 × 0.3025 = 200.3
    assert 39165 / datacenters.M2_PER_TSUBO == pytest.approx(11847.41, abs=0.01)
    assert 662 / datacenters.M2_PER_TSUBO == pytest.approx(200.255)


def test_build_out_is_cumulative():
    b = datacenters.build_out("Yokohama 1").set_index("after")
    # after STEP2: floor 19,420 + 13,000 = 32,420; server 4,353 + 5,717 = 10,070; share 0.31061
    assert b.loc["STEP2", "floor_space"] == 32420
    assert b.loc["STEP2", "server_room"] == 10070
    assert b.loc["STEP2", "server_share"] == pytest.approx(0.31061, abs=1e-5)
    # other floor after STEP3: 39,165 − 12,911 − 2,199 = 24,055
    assert b.loc["STEP3", "other"] == 24055
    s = datacenters.build_out("Saitama 1").set_index("after")
    # Saitama's floor stays 14,143; server 2,038 → 4,096 → 4,736
    assert s["floor_space"].tolist() == [14143, 14143, 14143]
    assert s["server_room"].tolist() == [2038, 4096, 4736]


def test_build_out_refuses_an_unknown_centre():
    with pytest.raises(ValueError, match="no data centre named"):
        datacenters.build_out("Osaka 1")
