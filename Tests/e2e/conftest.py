import os

import pytest
import requests


@pytest.fixture(scope="session")
def base_url():
    url = os.environ.get("ONEMAP_URL")
    if not url:
        pytest.fail("ONEMAP_URL is not set: run Tests/e2e/run.sh")
    return url.rstrip("/")


@pytest.fixture(scope="session")
def out_dir():
    d = os.environ.get("ONEMAP_OUT", "test-output")
    os.makedirs(d, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def http():
    s = requests.Session()
    yield s
    s.close()
