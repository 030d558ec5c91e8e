"""The installed wheel: exactly three top-level import names, with the package data it needs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import orjson
import pytest

from agents.safety.fall_model import FallModel

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("aiot-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_installs_exactly_app_agents_and_schemas(wheel: zipfile.ZipFile) -> None:
    tops = {
        name.split("/")[0]
        for name in wheel.namelist()
        if not name.split("/")[0].endswith(".dist-info")
    }
    assert tops == {"app", "agents", "schemas"}


def test_wheel_holds_no_tests_or_benchmarks(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))]


def test_wheel_carries_the_package_data(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert "agents/safety/site_map.toml" in names
    assert "agents/safety/fall_model.json" in names
    console = {n for n in names if n.startswith("app/console/static/")}
    static = ROOT / "app" / "console" / "static"
    assert console == {f"app/console/static/{p.name}" for p in static.iterdir() if p.is_file()}
    assert "app/console/static/index.html" in console
    assert any(n.startswith("schemas/jsonschema/") and n.endswith(".json") for n in names)


def test_the_wheels_fall_model_is_the_packaged_one(wheel: zipfile.ZipFile) -> None:
    shipped = FallModel.from_dict(orjson.loads(wheel.read("agents/safety/fall_model.json")))
    assert shipped.version == FallModel.load().version
