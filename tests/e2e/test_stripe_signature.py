"""stripe verify-signature against signatures made independently with Python's hmac."""
import hashlib
import hmac
import time

SECRET = "whsec_test_secret_123"
BODY = b'{\n  "id": "evt_1",\n  "object": "event",\n  "type": "checkout.session.completed"\n}\n'


def sign(body, secret=SECRET, t=None):
    t = int(time.time()) if t is None else t
    sig = hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    return t, sig


def verify(qt, tmp_path, header, body=BODY, secret=SECRET, extra=(), json=False):
    path = tmp_path / "body.json"
    path.write_bytes(body)
    env = {"STRIPE_WEBHOOK_SECRET": secret} if secret else {}
    return qt("stripe", "verify-signature", "--header", header, *extra, path, env=env, json=json)


def test_valid(qt, tmp_path):
    t, sig = sign(BODY)
    r = verify(qt, tmp_path, f"t={t},v1={sig}")
    assert r.rc == 0 and "Valid" in r.out
    assert SECRET not in r.out + r.err


def test_valid_json_and_stdin(qt):
    t, sig = sign(BODY)
    r = qt("stripe", "verify-signature", "--header", f"t={t},v1={sig}", json=True,
           env={"STRIPE_WEBHOOK_SECRET": SECRET}, input=BODY.decode())
    assert r.rc == 0 and r.json["valid"] is True and r.json["timestamp"] == t


def test_tampered_body(qt, tmp_path):
    t, sig = sign(BODY)
    r = verify(qt, tmp_path, f"t={t},v1={sig}", body=BODY.replace(b"evt_1", b"evt_2"))
    assert r.rc == 3 and "no v1 signature matches" in r.out and len(r.out.strip().splitlines()) == 1


def test_expired_timestamp_and_tolerance(qt, tmp_path):
    t, sig = sign(BODY, t=int(time.time()) - 600)
    r = verify(qt, tmp_path, f"t={t},v1={sig}", json=True)
    assert r.rc == 3 and "tolerance" in r.json["reason"]
    assert verify(qt, tmp_path, f"t={t},v1={sig}", extra=["--tolerance", "900"]).rc == 0
    assert verify(qt, tmp_path, f"t=1500000000,v1={sign(BODY, t=1500000000)[1]}", extra=["--tolerance", "0"]).rc == 0


def test_rotated_secret_second_v1_matches(qt, tmp_path):
    t, old = sign(BODY, secret="whsec_old")
    _, new = sign(BODY, t=t)
    assert verify(qt, tmp_path, f"t={t},v1={old},v1={new}").rc == 0
    assert verify(qt, tmp_path, f"t={t},v1={old}").rc == 3


def test_v0_only_is_refused(qt, tmp_path):
    t, sig = sign(BODY)
    r = verify(qt, tmp_path, f"t={t},v0={sig}")
    assert r.rc == 3 and "v0" in r.out


def test_malformed_header(qt, tmp_path):
    _, sig = sign(BODY)
    for header in ("garbage", f"v1={sig}", f"t=abc,v1={sig}", ""):
        r = verify(qt, tmp_path, header)
        assert r.rc == 3 and "malformed" in r.out, header


def test_missing_secret_is_a_usage_error_and_secret_file_works(qt, tmp_path):
    t, sig = sign(BODY)
    r = verify(qt, tmp_path, f"t={t},v1={sig}", secret=None)
    assert r.rc == 2 and "STRIPE_WEBHOOK_SECRET" in r.err
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    r = verify(qt, tmp_path, f"t={t},v1={sig}", secret=None, extra=["--secret-file", secret_file])
    assert r.rc == 0
    assert qt("stripe", "verify-signature", "--help").rc == 0
