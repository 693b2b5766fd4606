"""Emerging complaints over HTTP: hotline tickets about a problem no event type describes are
found as one cluster, scoped to the caller's territory, with no caller's contact shown."""

from __future__ import annotations

import json

import pytest

from cityloop.domain.clock import FixedClock
from tests.e2e.conftest import Api

#: A complaint no event type of the demo city describes (the classifier is not sure of any):
#: the compound's parcel lockers charge for keeping a parcel past a few hours.
PLANTED = [
    "小区快递柜超过12小时就收超时费，太不合理了",
    "快递柜超时收费，放了一晚上就扣了一块钱",
    "快递柜保管超时要付费，快递员不打招呼直接放柜子里",
    "快递柜收超时费，我上班根本来不及取",
    "楼下快递柜超时费越收越多，投诉也没人管",
    "快递员不送上门，全塞快递柜，取晚了还要交超时费",
    "快递柜超时费一天三块，这个收费有依据吗",
    "快递柜的超时费能不能取消，老人不会用手机付",
    "每次取快递柜里的包裹都要交超时费",
    "快递柜超时收费没有公示，希望管一管",
    "快递柜超时费扣款了，我都不知道东西什么时候放进去的",
    "小区快递柜乱收超时费，物业说不归他们管",
]

#: Vague calls the classifier cannot place either, on unrelated matters.
OTHER = [
    "你好，我想问一下社保卡补办要带什么材料",
    "请问居住证到哪里办理，需要多久",
    "我想咨询一下公积金提取的流程",
    "孩子入学报名的时间是什么时候",
    "老年卡在哪里申请，能不能网上办",
    "请问这边的营业执照年检怎么弄",
]
CALLER, PHONE = "李秘密", "13700001111"


@pytest.fixture(scope="module")
def planted(api: Api, module_clock: FixedClock) -> list[dict]:
    lon, lat = api.point_in("YZ01S01")
    answers = []
    for i, text in enumerate(PLANTED + OTHER):
        r = api.post(
            "/api/v1/hotline/tickets",
            "city_op",
            {
                "text": text,
                "lon": lon + (i % 4) * 1e-4,
                "lat": lat,
                "caller_name": CALLER,
                "caller_phone": PHONE,
            },
        )
        assert r.status_code == 201, r.text
        answers.append(r.json())
    module_clock.advance(minutes=1)
    return answers


def test_the_planted_complaint_theme_is_found_as_one_cluster(api: Api, planted: list[dict]) -> None:
    unsure = [a for a in planted[: len(PLANTED)] if (a["suggestion"] or {}).get("needs_triage", 1)]
    assert len(unsure) >= 10, [a["suggestion"] for a in planted]
    r = api.get("/api/v1/demand/emerging", "yz01_op", params={"territory": "YZ01S01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["territory"] == "YZ01S01"
    top = body["items"][0]
    assert top["size"] >= 10
    assert all("快递柜" in e or "超时费" in e for e in top["examples"])
    assert "快递柜" in top["top_terms"] or "超时" in "".join(top["top_terms"])
    assert top["places"][0]["code"] == "YZ01S01"
    assert top["places"][0]["name_zh"]
    assert top["rising"] is True
    assert top["previous"] == 0
    text = json.dumps(body, ensure_ascii=False)
    assert CALLER not in text
    assert PHONE not in text


def test_emerging_complaints_are_scoped(api: Api, planted: list[dict]) -> None:
    other = api.get("/api/v1/demand/emerging", "yz02_op").json()
    assert other["items"] == []
    outside = api.get("/api/v1/demand/emerging", "yz02_op", params={"territory": "YZ01S01"})
    assert outside.status_code == 404
    assert api.client.get("/api/v1/demand/emerging").status_code == 401
