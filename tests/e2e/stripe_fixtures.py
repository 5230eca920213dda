"""Pytest fixture for the Stripe stand-in (see stripe_standin.py); imported by conftest.py.

    def test_x(qt, stripe_api):
        r = qt("checkout", "create", "1", "pro", db=path, env=stripe_api.env())
        assert stripe_api.calls("POST", "/v1/checkout/sessions")[0].form["mode"] == "payment"
"""
import os
from pathlib import Path

import pytest

from stripe_standin import StripeStandin

HERE = Path(__file__).resolve().parent
REFERENCE = Path(os.environ.get("QUICKTOOLS_SHARED", HERE.parent.parent.parent / "shared")) / "reference" / "stripe"


@pytest.fixture
def stripe_api():
    standin = StripeStandin(REFERENCE).start()
    try:
        yield standin
    finally:
        standin.stop()
