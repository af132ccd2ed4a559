"""Signed webhooks, delivered by a real Celery worker to real HTTP receivers on loopback: the
signature verifies with the standard library's own HMAC, a failing receiver gets every retry
and then a recorded failure, and a reseller never receives another reseller's events."""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from billing import webhooks
from billing.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from claims import services
from portal.models import Organisation, User
from tests.conftest import make_person
from tests.helpers import subscription
from tests.scenarios import file

ALL_TYPES = [name for name, _ in webhooks.EVENT_TYPES]


@pytest.fixture(autouse=True)
def _loopback_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_BACKOFF_SECONDS = 0.1
    settings.WEBHOOK_MAX_ATTEMPTS = 5
    settings.WEBHOOK_TIMEOUT = 3


class Receiver:
    """An HTTP server on loopback that records each request and answers `status`."""

    def __init__(self, status=204):
        self.status = status
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def types(self):
        return [json.loads(body)["type"] for _, body in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made = []

    def make(status=204):
        made.append(Receiver(status))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def wait_for(condition, timeout=30, sweep=False):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sweep:
            webhooks.sweep()
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def verify(secret, headers, body):
    """Standard Webhooks verification with hmac, hashlib and base64 alone."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    versions = dict(part.split(",", 1) for part in headers["webhook-signature"].split(" "))
    return hmac.compare_digest(versions["v1"], expected)


def endpoint_for(organisation_name, url, by):
    return WebhookEndpoint.objects.create(
        organisation=Organisation.objects.get(name=organisation_name),
        url=url,
        event_types=ALL_TYPES,
        created_by=by,
    )


@pytest.mark.postgres_only
def test_events_are_signed_and_go_only_to_the_accounts_own_reseller(
    live_demo, celery_worker, receivers
):
    nora = User.objects.get(email="nora@northwind-it.example")
    reviewer = User.objects.get(email="reviewer1@provider.example")
    ours, theirs, carls = receivers(), receivers(), receivers()
    mine = endpoint_for("Northwind IT", ours.url, nora)
    other = Organisation.objects.create(name="Other Reseller", kind="reseller")
    agent = make_person("agent@other-reseller.example", other, "reseller_agent")
    endpoint_for("Other Reseller", theirs.url, agent)
    carl = User.objects.get(email="carl@cedar-bakery.example")
    endpoint_for("Cedar Bakery", carls.url, carl)
    acme_agent = User.objects.get(email="alice@acme-dental.example")
    endpoint_for("Acme Dental", receivers().url, acme_agent)

    claim = file(
        nora, subscription("Cedar Bakery", "hosted-exchange"), representation=True, proof=False
    )
    services.approve(claim=claim, by=reviewer)
    # The worker grants the approval; the sweep turns each change into an event.
    wait_for(lambda: "credit.granted" in ours.types(), sweep=True)
    # Order is not promised (retries overtake), every event is.
    assert {"claim.submitted", "claim.decided"} <= set(ours.types())
    assert "credit.granted" in carls.types()  # the end customer's own endpoint too
    for headers, body in ours.requests:
        assert verify(mine.secret, headers, body)
        assert abs(int(headers["webhook-timestamp"]) - time.time()) < 300
    (headers, body), *_ = (r for r in ours.requests if b"claim.submitted" in r[1])
    assert not verify(mine.secret, headers, body + b" ")
    submitted = json.loads(body)
    assert submitted["data"]["claim"] == claim.reference
    assert headers["webhook-id"] == WebhookEvent.objects.get(type="claim.submitted").public_id
    assert theirs.requests == []
    # A second sweep writes nothing again.
    before = WebhookEvent.objects.count()
    webhooks.sweep()
    assert WebhookEvent.objects.count() == before


@pytest.mark.postgres_only
def test_a_failing_receiver_gets_retries_then_a_recorded_failure(
    live_demo, celery_worker, receivers, client
):
    nora = User.objects.get(email="nora@northwind-it.example")
    failing = receivers(status=500)
    endpoint = endpoint_for("Northwind IT", failing.url, nora)
    client.force_login(nora)
    response = client.post(f"/billing/webhooks/{endpoint.pk}/test/")
    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    wait_for(lambda: WebhookDelivery.objects.get(pk=delivery.pk).state == "failed")
    delivery.refresh_from_db()
    assert delivery.attempts == 5
    log = list(delivery.attempt_log.order_by("number"))
    assert [a.number for a in log] == [1, 2, 3, 4, 5]
    assert {a.status_code for a in log} == {500}
    assert len(failing.requests) == 5
    # Exponential backoff: each pause at least the one before doubled (0.1, 0.2, 0.4, 0.8 s).
    gaps = [(b.at - a.at).total_seconds() for a, b in zip(log, log[1:], strict=False)]
    assert all(gap >= 0.1 * 2**n for n, gap in enumerate(gaps))
    page = client.get(f"/billing/webhooks/{endpoint.pk}/").content.decode()
    assert "HTTP 500" in page
    assert "Failed" in page


def test_endpoint_page_shows_the_secret_once_and_only_to_its_own_people(client, nora, alice):
    client.force_login(nora)
    response = client.post(
        "/billing/webhooks/",
        {"url": "https://hooks.example.com/portal", "event_types": ["credit.granted"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert endpoint.organisation.name == "Northwind IT"
    first = client.get(f"/billing/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret in first
    assert endpoint.secret not in client.get(f"/billing/webhooks/{endpoint.pk}/").content.decode()
    client.force_login(alice)
    assert client.get(f"/billing/webhooks/{endpoint.pk}/").status_code == 404
    assert client.post(f"/billing/webhooks/{endpoint.pk}/test/").status_code == 404


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://hooks.example.com/x", webhooks.URL_NOT_HTTPS),
        ("https://127.0.0.1/x", webhooks.URL_PRIVATE),
        ("https://10.1.2.3/x", webhooks.URL_PRIVATE),
        ("https://[::1]/x", webhooks.URL_PRIVATE),
    ],
)
def test_plain_http_and_private_targets_are_refused(settings, client, nora, url, message):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(ValidationError) as refused:
        webhooks.check_url(url)
    assert refused.value.messages == [message]
    client.force_login(nora)
    response = client.post("/billing/webhooks/", {"url": url, "event_types": ["credit.granted"]})
    assert response.status_code == 400
    assert WebhookEndpoint.objects.count() == 0


def test_signature_matches_the_standard_webhooks_example():
    # The example of the Standard Webhooks specification (and its reference libraries).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert (
        webhooks.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
