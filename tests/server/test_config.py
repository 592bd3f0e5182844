"""The server's settings: the shared constraints (Seconds, Days, Port) hold on every field
that uses them."""

from typing import Any

import pytest
from pydantic import ValidationError

from server.config import ServerSettings


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gap_report_after_s", 0),
        ("analytics_refresh_s", -1),
        ("analytics_slice_s", 0),
        ("analytics_busy_share", 0),
        ("analytics_busy_share", 1.5),
        ("deadline_sweep_s", 0),
        ("login_backoff_base_s", 0),
        ("login_backoff_max_s", 0),
        ("login_lock_s", 0),
        ("tag_supply_days", 0),
        ("tag_supply_window_days", 0),
        ("mqtt_port", 0),
        ("api_port", 65536),
    ],
)
def test_a_value_out_of_range_is_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        ServerSettings(database_url="sqlite://", **{field: value})


def test_the_defaults() -> None:
    s = ServerSettings(database_url="sqlite://")
    assert (s.gap_report_after_s, s.login_backoff_max_s, s.login_lock_s) == (60.0, 60.0, 900.0)
    assert (s.tag_supply_days, s.tag_supply_window_days) == (14, 14)
    assert (s.mqtt_port, s.api_port) == (1883, 8000)
