"""Headless Chromium for the browser tests (Debian's ``chromium`` and ``chromium-driver``).

Without the browser the tests skip with what to install - except under CI (``CI`` set), where
``.ci/run`` installs it and a missing browser is a failure, never a silent skip.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["INSTALL_HINT", "chromium"]

INSTALL_HINT = (
    "the browser tests need Chromium and its driver: "
    "sudo apt-get install -y chromium chromium-driver (Debian/Ubuntu)"
)
BINARIES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVERS = ("/usr/bin/chromedriver",)


def _first(paths: tuple[str, ...], name: str) -> str | None:
    for path in paths:
        if Path(path).is_file():
            return path
    return shutil.which(name)


def _missing(what: str) -> None:
    message = f"{what} not found; {INSTALL_HINT}"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {message}")
    pytest.skip(message)


def chromium(width: int = 1500, height: int = 950) -> Iterator[Any]:
    """Yield a headless Chromium WebDriver with a fresh profile; quit it afterwards."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium (pip install -e '.[dev]')")
    binary = _first(BINARIES, "chromium")
    driver_path = _first(DRIVERS, "chromedriver")
    if binary is None:
        _missing("chromium")
    if driver_path is None:
        _missing("chromedriver")
    profile = tempfile.mkdtemp(prefix="aiot-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(binary)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(driver_path)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
