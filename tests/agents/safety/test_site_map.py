"""The site map: the packaged example loads, positions map to zones, bad maps are refused."""

from __future__ import annotations

import pytest

from agents.safety.site_map import SiteMap, load_site_map


def test_packaged_map_has_high_risk_zones_and_a_default():
    site = load_site_map()
    assert site.default.id == "yard" and site.default.risk == "low"
    assert {"crane-lift", "excavation", "scaffold", "plant-route"} == {
        z.id for z in site.high_risk_zones()
    }


def test_position_maps_to_its_zone_or_the_default():
    site = load_site_map()
    assert site.zone_at(140.0, 20.0).id == "crane-lift"
    assert site.zone_at(10.0, 10.0).id == "welfare"
    assert site.zone_at(200.0, 125.0).id == "yard"
    assert site.zone("scaffold") is not None and site.zone("nowhere") is None


def _map(**default: object) -> dict:
    return {
        "site": "s",
        "extent": [0, 0, 100, 100],
        "default_zone": {"id": "yard", "risk": "low", **default},
        "zones": [
            {"id": "a", "risk": "high", "rect": [0, 0, 50, 50]},
            {"id": "b", "risk": "low", "rect": [60, 0, 90, 50]},
        ],
    }


def test_overlapping_zones_are_refused():
    data = _map()
    data["zones"][1]["rect"] = [40, 0, 90, 50]
    with pytest.raises(ValueError, match="overlap"):
        SiteMap.from_dict(data)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("risk", "extreme", "risk"),
        ("rect", [10, 10, 5, 20], "empty"),
        ("id", "bad id!", "does not match"),
    ],
)
def test_bad_zone_is_refused_with_the_reason(path, value, message):
    data = _map()
    data["zones"][0][path] = value
    with pytest.raises(ValueError, match=message):
        SiteMap.from_dict(data)


def test_a_site_file_can_replace_the_packaged_map(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text(
        'site = "s2"\nextent = [0, 0, 10, 10]\n'
        'default_zone = { id = "open", risk = "low" }\n'
        '[[zones]]\nid = "pit"\nrisk = "high"\nrect = [0, 0, 5, 5]\n'
    )
    site = load_site_map(path)
    assert site.site == "s2" and site.zone_at(1, 1).high_risk and not site.zone_at(8, 8).high_risk
