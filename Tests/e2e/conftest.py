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
def admin_key():
    key = os.environ.get("ONEMAP_ADMIN_KEY")
    if not key:
        pytest.fail("ONEMAP_ADMIN_KEY is not set: run Tests/e2e/run.sh")
    return key


@pytest.fixture(scope="session")
def http(admin_key):
    """The data center's session (sees every layer whole); access tests use their own."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {admin_key}"
    yield s
    s.close()


@pytest.fixture(scope="session")
def anon():
    """A caller without a key."""
    s = requests.Session()
    yield s
    s.close()
