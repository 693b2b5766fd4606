"""Vital signs follow the readings and the cases, per city, district and street."""

from __future__ import annotations

import csv

from tests.e2e.conftest import Api


def sensor_in(api: Api, kind: str) -> tuple[str, str]:
    """A sensor of ``kind`` and the district it lies in."""
    city = api.container.city
    with (city.root / "sensors.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["type"] == kind:
                chain = city.locator.locate(float(row["lon"]), float(row["lat"]))
                if chain is not None and chain.district:
                    return row["id"], chain.district
    raise AssertionError(f"no {kind} sensor")


def test_rain_and_air_readings_show_in_their_districts_vital_signs(api: Api) -> None:
    now = api.container.clock.now().timestamp()
    gauge, district = sensor_in(api, "rainfall")
    pm, pm_district = sensor_in(api, "pm25")
    body = {
        "sensor": [gauge, gauge, pm],
        "ts": [now - 1800, now - 600, now - 60],
        "value": [12.0, 8.5, 80.0],
    }
    r = api.client.post("/api/v1/telemetry", json=body, headers=api.as_("admin"))
    assert r.status_code == 200, r.text
    vitals = api.get("/api/v1/vital-signs", "city_op", params={"jurisdiction": district}).json()
    values = vitals["values"]
    assert values["rainfall_1h_max_mm"] >= 20.5
    assert 0 < values["online_rate"] <= 1
    assert "online_rate" in vitals["how"]
    air = api.get("/api/v1/vital-signs", "city_op", params={"jurisdiction": pm_district}).json()
    assert air["values"]["aqi_max"] == 107  # HJ 633-2012: 80 µg/m³ → IAQI 107 (rounded up)


def test_vital_signs_count_open_and_overdue_events(api: Api) -> None:
    city = api.get("/api/v1/vital-signs", "city_op").json()
    assert city["jurisdiction"] == "YZ"
    assert set(city["values"]["active_warnings"]) == {"blue", "yellow", "orange", "red"}
    by_department = city["values"]["online_rate_by_department"]
    assert {"GASCO", "ENV", "FIRE", "PSB"} <= set(by_department)
    assert city["values"]["resources_available"] > 0
    district = api.get("/api/v1/vital-signs", "yz01_op").json()
    assert 0 <= district["values"]["resources_available"] <= city["values"]["resources_available"]
    assert city["values"]["open_events"] >= 0


def test_a_district_operator_sees_only_its_own_vital_signs(api: Api) -> None:
    assert api.get("/api/v1/vital-signs", "yz01_op").json()["jurisdiction"] == "YZ01"
    r = api.get("/api/v1/vital-signs", "yz01_op", params={"jurisdiction": "YZ02"})
    assert r.status_code == 404


def test_samples_are_kept_per_minute_and_read_back(api: Api) -> None:
    assert api.container.vitals.sample() > 0
    history = api.get(
        "/api/v1/vital-signs/history", "city_op", params={"resolution": "minute"}
    ).json()
    assert history
    assert "online_rate" in history[-1]["values"]


def test_sampling_a_whole_level_at_once_gives_each_jurisdictions_own_values(api: Api) -> None:
    from cityloop.domain.territory import Level

    now = api.container.clock.now().timestamp()
    gauge, district = sensor_in(api, "rainfall")
    body = {"sensor": [gauge], "ts": [now - 300], "value": [7.5]}
    assert api.client.post("/api/v1/telemetry", json=body, headers=api.as_("admin")).is_success
    api.post(
        "/api/v1/events",
        "city_op",
        {
            "title": "井盖缺失",
            "description": "井盖缺失",
            "source": "hotline",
            "type_code": "UM07",
            "lon": 106.55,
            "lat": 29.56,
        },
    )
    vitals = api.container.vitals
    for level in (Level.CITY, Level.DISTRICT, Level.STREET):
        together = vitals.current_level(level)
        assert together
        for code, values in together.items():
            assert values == vitals.current(code)["values"], code
    assert vitals.current_level(Level.DISTRICT)[district]["rainfall_1h_max_mm"] >= 7.5
