"""Emerging complaints: a planted theme among the demo corpus's texts is found as one cluster."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import pytest

import cityloop.city.generate as generate
from cityloop.evaluation.emerging import cluster_texts, emerging, redact

CORPUS = Path(generate.__file__).parent / "data" / "corpus"

#: A complaint that no event type of the demo city describes: e-scooter batteries charged in
#: corridors (no fire yet, so not "fire"; not parking, not noise).
PLANTED = [
    "楼道里有人给电动滑板车电池充电，电线从窗户拉出来",
    "电动滑板车的电池整晚在走廊充电，很危险",
    "邻居把滑板车电池拿到楼道插座上充电",
    "走廊里一排电动滑板车在充电，插线板都发烫了",
    "有人在过道给滑板车电池充电，堵住了安全出口",
    "楼道充电的电动滑板车电池鼓包了，担心起火 电话13912345678",
    "电动滑板车电池放在楼梯间充电好几天了",
    "物业不管楼道里滑板车电池充电的问题",
    "走廊私拉电线给电动滑板车电池充电",
    "楼梯口天天有滑板车电池在充电，气味很大",
    "几台电动滑板车在走廊里充电，电池很烫",
    "楼道里的滑板车充电器一直插着，电池没人看管",
]


def corpus_texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.glob("*.tsv")):
        with path.open(encoding="utf-8") as f:
            texts += [row["text"] for row in csv.DictReader(f, delimiter="\t")]
    return texts


@pytest.mark.parametrize("seed", [1, 3])
def test_a_planted_theme_among_unrelated_complaints_is_found_as_one_cluster(seed: int) -> None:
    noise = random.Random(seed).sample(corpus_texts(), 300)
    texts = noise + PLANTED
    n = len(texts)
    # the noise spreads over both periods; the planted theme is all in the current one
    received = np.array([0.5] * 150 + [1.5] * 150 + [2.5] * len(PLANTED))
    places = np.array(["S1"] * 300 + ["S2"] * len(PLANTED), dtype=object)
    lon = np.array([np.nan] * 300 + [120.0 + i * 1e-4 for i in range(len(PLANTED))])
    lat = np.full(n, 30.0)
    suggested = np.array([""] * 300 + ["AC01"] * len(PLANTED), dtype=object)
    summary, clusters = emerging(
        texts,
        received,
        places,
        lon,
        lat,
        suggested,
        start=1.0,
        end=3.0,
        names=["张三"],
        background=corpus_texts(),
    )
    assert summary["texts"] == n
    assert summary["k"] >= 2
    assert summary["silhouette"] is not None
    top = clusters[0]
    planted = set(range(300, n))
    assert set(top.members) <= planted, "the theme's cluster holds no unrelated complaint"
    assert len(top.members) >= 10  # one cluster holds (nearly) all of the planted texts
    assert not any(set(c.members) & planted for c in clusters[1:] if len(c.members) >= 3)
    assert top.rising
    assert (top.current, top.previous) == (len(top.members), 0)
    assert {"充电", "电池"} & set(top.top_terms)
    assert top.places == [{"code": "S2", "reports": top.size}]
    assert top.lon is not None
    assert 120.0 <= top.lon <= 120.0012
    assert top.suggested_types == [{"type_code": "AC01", "reports": top.size}]
    assert all("13912345678" not in e for e in top.examples)


def test_texts_with_nothing_in_common_make_no_cluster() -> None:
    texts = ["abc", "xyz", "路灯"]
    nothing = np.zeros(3)
    summary, clusters = emerging(
        texts,
        nothing,
        np.array(["", "", ""], dtype=object),
        np.full(3, np.nan),
        np.full(3, np.nan),
        np.array(["", "", ""], dtype=object),
        0.0,
        1.0,
    )
    assert clusters == []
    assert summary["texts"] == 3


def test_the_number_of_clusters_is_the_silhouette_best() -> None:
    texts = ["路灯不亮了", "路灯坏了不亮", "这里路灯不亮", "井盖丢了", "井盖不见了", "井盖被偷了"]
    result = cluster_texts(texts)
    assert result.k == 2
    assert len(set(result.labels[:3])) == 1
    assert len(set(result.labels[3:])) == 1
    assert result.labels[0] != result.labels[3]


def test_examples_are_stripped_of_contacts_and_names() -> None:
    text = "我是张三，电话 139-1234-5678，邮箱 a.b@example.org，身份证 110101199001011234"
    clean = redact(text, ["张三"])
    for secret in ("张三", "139-1234-5678", "a.b@example.org", "110101199001011234"):
        assert secret not in clean
    assert "[phone]" in clean
    assert "[email]" in clean
