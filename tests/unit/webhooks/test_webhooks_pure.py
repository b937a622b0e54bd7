"""Pure parts of webhooks: the retry schedule, the SSRF address rules, Standard Webhooks signatures."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from inspect_api.webhooks.schedule import JITTER, RETRY_DELAYS, next_delay
from inspect_api.webhooks.signing import new_secret, signed_headers
from inspect_api.webhooks.ssrf import address_problem, url_problem


def test_the_schedule_spans_about_three_days_then_gives_up() -> None:
    total = sum(RETRY_DELAYS, timedelta())
    assert timedelta(days=2.5) < total < timedelta(days=3.5)
    assert next_delay(len(RETRY_DELAYS) + 1) is None
    assert list(RETRY_DELAYS) == sorted(RETRY_DELAYS)  # never shorter than the one before


@given(st.integers(min_value=1, max_value=len(RETRY_DELAYS)), st.integers())
def test_jitter_stays_within_its_bounds(attempts: int, seed: int) -> None:
    delay = next_delay(attempts, rng=random.Random(seed))
    base = RETRY_DELAYS[attempts - 1]
    assert delay is not None and base * (1 - JITTER) <= delay <= base * (1 + JITTER)


def test_jitter_spreads_the_retries() -> None:
    rng = random.Random(1)
    assert len({next_delay(3, rng=rng) for _ in range(20)}) > 1


@pytest.mark.parametrize("address", [
    "127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "169.254.1.1", "fe80::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "0.0.0.0", "100.64.0.1", "fd00:ec2::254", "224.0.0.1",
])
def test_internal_addresses_are_refused(address: str) -> None:
    assert address_problem(address, allow_loopback=False) is not None


def test_loopback_only_is_allowed_by_the_setting() -> None:
    assert address_problem("127.0.0.1", allow_loopback=True) is None
    assert address_problem("::1", allow_loopback=True) is None
    assert address_problem("10.0.0.1", allow_loopback=True) is not None
    assert address_problem("169.254.169.254", allow_loopback=True) is not None


def test_public_addresses_pass() -> None:
    assert address_problem("93.184.216.34", allow_loopback=False) is None
    assert address_problem("2606:4700:4700::1111", allow_loopback=False) is None


@pytest.mark.parametrize("url", ["ftp://x.example/", "http://", "http://user:pw@x.example/", "file:///etc/passwd"])
def test_odd_urls_are_refused(url: str) -> None:
    assert url_problem(url) is not None


@pytest.mark.parametrize("url", ["http://a.example[x/", "http://[::1/", "https://a.example:99999/",
                                 "https://a.example:port/"])
def test_unparseable_urls_are_a_problem_not_an_exception(url: str) -> None:
    assert url_problem(url) is not None  # each raised ValueError (a 500 on POST /webhooks/endpoints)


def test_signatures_verify_with_the_reference_verifier_for_each_secret() -> None:
    old, new = new_secret(), new_secret()
    body = b'{"type":"branch.updated","data":{}}'
    now = datetime.now(UTC)
    headers = signed_headers("msg_1", now, body, [new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers) == {"type": "branch.updated", "data": {}}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body + b" ", headers)
