"""The services chapter runs with figures entered from the original deck and other CATV assumptions."""

from __future__ import annotations

from .conftest import execute_chapter, glued_values


def test_services_runs_with_entered_figures_and_twenty_operators(tmp_path):
    out = execute_chapter(
        "services",
        tmp_path,
        {
            "dedicated_contracts": 2000,
            "dedicated_bandwidth_gbps": 10.0,
            "ip_service_arpu_jpy": 100000.0,
            "catv_operators": 20,
            "catv_subscribers_per_operator": 30000.0,
        },
    )
    glued = glued_values(out)
    # 10 Gbps × 1,000 / 2,000 = 5.00 Mbps; ¥100,000 / 5 = ¥20,000 per Mbps a month;
    # ¥100,000 × 2,000 × 3 = ¥600M a quarter
    assert glued["mbps_per_contract"] == "5.00 Mbps"
    assert glued["price_per_mbps"] == "¥20,000"
    assert glued["implied_revenue"] == "¥600M"
    # 20 × 30,000 = 600,000 = 33.3% of 1.8M; fee: 0.01 × ¥10.6B / (3 × 20) = ¥1.77M → ¥1.8M
    assert glued["reach_text"] == "600,000"
    assert glued["reach_share_text"] == "33.3%"
    assert glued["n_ops"] == "20"
    assert glued["fee_needed_text"] == "¥1.8M"
