"""Pytest fixture for the Stripe stand-in (see stripe_standin.py); imported by conftest.py.

    def test_x(qt, stripe_api):
        r = qt("checkout", "create", "1", "pro", db=path, env=stripe_api.env())
        assert stripe_api.calls("POST", "/v1/checkout/sessions")[0].form["mode"] == "payment"
"""
import pytest

from stripe_standin import StripeStandin


@pytest.fixture
def stripe_api():
    standin = StripeStandin().start()
    try:
        yield standin
    finally:
        standin.stop()
