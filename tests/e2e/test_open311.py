"""Open311 GeoReport v2: discovery, services, requests, tokens, errors — JSON and XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from cityloop.city.open311 import DEMO_KEY
from tests.e2e.conftest import Api

BASE = "/open311/v2"


def post_request(api: Api, code: str = "UM07", **extra: str) -> dict[str, str]:
    lon, lat = api.point_in("YZ05")
    form = {"api_key": DEMO_KEY, "service_code": code, "lat": str(lat), "long": str(lon)}
    form |= {"description": "路口井盖不见了，很危险", "phone": "13811112222"}
    form |= extra
    r = api.client.post(f"{BASE}/requests.json", data=form)
    assert r.status_code == 201, r.text
    body = r.json()
    assert isinstance(body, list)
    return body[0]


def test_discovery_lists_the_endpoint_in_both_formats(api: Api) -> None:
    body = api.client.get(f"{BASE}/discovery.json").json()
    assert body["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert "application/json" in body["endpoints"][0]["formats"]
    xml = ET.fromstring(api.client.get(f"{BASE}/discovery.xml").content)
    assert xml.tag == "discovery"
    assert xml.find("endpoints/endpoint/specification") is not None
    assert [f.text for f in xml.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_services_come_from_the_taxonomy(api: Api) -> None:
    services = api.client.get(f"{BASE}/services.json", headers={"Accept-Language": "en"}).json()
    assert len(services) == 50
    noise = next(s for s in services if s["service_code"] == "UM06")
    assert set(noise) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert noise["service_name"].startswith("Social-life noise")
    assert noise["type"] == "realtime"
    assert "night market" in noise["keywords"]
    xml = ET.fromstring(api.client.get(f"{BASE}/services.xml").content)
    assert xml.tag == "services"
    assert len(xml.findall("service")) == 50


def test_a_service_definition_lists_its_attributes(api: Api) -> None:
    body = api.client.get(f"{BASE}/services/UM07.json").json()
    assert body["service_code"] == "UM07"
    codes = [a["code"] for a in body["attributes"]]
    assert codes == ["landmark", "people_at_risk"]
    xml = ET.fromstring(api.client.get(f"{BASE}/services/UM07.xml").content)
    assert xml.tag == "service_definition"
    assert len(xml.findall("attributes/attribute")) == 2
    assert len(xml.findall("attributes/attribute/values/value")) == 2


def test_errors_are_the_specifications_error_arrays(api: Api) -> None:
    r = api.client.get(f"{BASE}/services/XX99.json")
    assert r.status_code == 404
    assert r.json() == [{"code": 404, "description": "service_code 'XX99' not found"}]
    x = api.client.get(f"{BASE}/services/XX99.xml")
    root = ET.fromstring(x.content)
    assert root.tag == "errors"
    assert root.find("error/code").text == "404"  # type: ignore[union-attr]


def test_posting_needs_a_valid_api_key(api: Api) -> None:
    lon, lat = api.point_in("YZ05")
    form = {"service_code": "UM07", "lat": str(lat), "long": str(lon)}
    assert api.client.post(f"{BASE}/requests.json", data=form).status_code == 403
    r = api.client.post(f"{BASE}/requests.json", data={**form, "api_key": "wrong-key-123456"})
    assert r.status_code == 403
    assert r.json()[0]["code"] == 403


def test_posting_needs_a_location_and_a_known_service(api: Api) -> None:
    r = api.client.post(f"{BASE}/requests.json", data={"api_key": DEMO_KEY, "service_code": "UM07"})
    assert r.status_code == 400
    assert "lat & long, address_string or address_id" in r.json()[0]["description"]
    r = api.client.post(
        f"{BASE}/requests.json",
        data={"api_key": DEMO_KEY, "service_code": "NOPE", "lat": "1", "long": "2"},
    )
    assert r.status_code == 404
    r = api.client.post(
        f"{BASE}/requests.json",
        data={"api_key": DEMO_KEY, "service_code": "UM07", "lat": "abc", "long": "2"},
    )
    assert r.status_code == 400
    r = api.client.post(
        f"{BASE}/requests.xml",
        data={"api_key": DEMO_KEY, "service_code": "UM07", "lat": "10", "long": "10"},
    )
    assert r.status_code == 400
    assert ET.fromstring(r.content).tag == "errors"


def test_a_request_is_created_and_can_be_found_by_id_and_token(api: Api) -> None:
    created = post_request(api, **{"attribute[landmark]": "小学门口"})
    rid, token = created["service_request_id"], created["token"]
    assert rid.startswith("YZ-R")
    by_token = api.client.get(f"{BASE}/tokens/{token}.json").json()
    assert by_token == [{"service_request_id": rid, "token": token}]
    got = api.client.get(f"{BASE}/requests/{rid}.json", headers={"Accept-Language": "en"}).json()
    assert len(got) == 1
    req = got[0]
    assert req["status"] == "open"
    assert req["service_code"] == "UM07"
    assert req["agency_responsible"] == "Urban Management Bureau"
    assert req["expected_datetime"] is not None
    assert req["requested_datetime"].endswith("+08:00")
    assert req["status_notes"].startswith("dispatched to")
    xml = ET.fromstring(api.client.get(f"{BASE}/requests/{rid}.xml").content)
    assert xml.tag == "service_requests"
    assert xml.find("request/service_request_id").text == rid  # type: ignore[union-attr]
    assert api.client.get(f"{BASE}/requests/YZ-R00000000-999999.json").status_code == 404
    assert api.client.get(f"{BASE}/tokens/nope.json").status_code == 404


def test_request_search_filters_by_ids_code_status_and_dates(api: Api) -> None:
    a = post_request(api, "UM08")["service_request_id"]
    b = post_request(api, "UM09")["service_request_id"]
    found = api.client.get(
        f"{BASE}/requests.json", params={"service_request_id": f"{a},{b}"}
    ).json()
    assert {r["service_request_id"] for r in found} == {a, b}
    only_lights = api.client.get(
        f"{BASE}/requests.json", params={"service_code": "UM09", "status": "open"}
    ).json()
    assert b in {r["service_request_id"] for r in only_lights}
    assert all(r["service_code"] == "UM09" for r in only_lights)
    closed = api.client.get(f"{BASE}/requests.json", params={"status": "closed"}).json()
    assert all(r["status"] == "closed" for r in closed)
    too_long = api.client.get(
        f"{BASE}/requests.json",
        params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    )
    assert too_long.status_code == 400
    bad_status = api.client.get(f"{BASE}/requests.json", params={"status": "pending"})
    assert bad_status.status_code == 400


def test_an_open311_request_goes_round_the_loop_to_closed(api: Api) -> None:
    rid = post_request(api, "UM02", description="垃圾三天没人收了")["service_request_id"]
    listed = api.get("/api/v1/events", "city_op", params={"q": "垃圾三天没人收了"}).json()["items"]
    event = listed[0]
    eid = event["id"]
    assert event["state"] == "dispatched"
    handler = "urban_yz01" if event["location"]["chain"]["district"] == "YZ01" else "admin"
    for action, body in (("accept", {}), ("start", {})):
        assert api.post(f"/api/v1/events/{eid}/{action}", handler, body).status_code == 200
    r = api.post(f"/api/v1/events/{eid}/resolve", handler, {"result": "已清运", "people": 3})
    assert r.json()["state"] == "resolved", r.text
    api.post(f"/api/v1/events/{eid}/verify", "city_op")
    api.post(f"/api/v1/events/{eid}/close", "city_op")
    req = api.client.get(f"{BASE}/requests/{rid}.json").json()[0]
    assert req["status"] == "closed"
