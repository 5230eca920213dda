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


@pytest.fixture
def stripe_api_tls(tmp_path_factory):
    """The stand-in over https (a certificate made for 127.0.0.1, named by STRIPE_CA_BUNDLE in
    env()): the only way a live key is sent."""
    standin = StripeStandin().start(tls_dir=tmp_path_factory.mktemp("tls"))
    try:
        yield standin
    finally:
        standin.stop()
