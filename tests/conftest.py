"""Test-wide environment: a throwaway pseudonymisation key and Prefect configured to run without
a server inside the project (never the user's home)."""

import os

import pytest

from pipeline.settings import configure_prefect_environment

os.environ.setdefault("SICKLEAVE_PSEUDONYM_KEY", "test-key-0123456789abcdef0123456789abcdef")
configure_prefect_environment()


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API for the few tests that run whole flows (generous startup)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
