"""The decoder runs image work off the event loop, in decode processes or threads, a bounded number at
once; errors come back as the same exceptions. Settings read the pixel budget and the decode mode."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator

import pytest

from inspect_api.photos import decoding
from inspect_api.photos.decoding import Decoder, DecoderLost
from inspect_api.photos.images import TooManyPixels, analyse, check
from inspect_api.settings import SettingsError, settings_from_env
from tests.unit.photos.samples import encode, scene

BASE_ENV = {"DATABASE_URL": "postgresql://u@localhost/db", "JWT_SECRET": "x" * 40,
            "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s"}


@pytest.fixture(scope="module", params=["process", "thread"])
def decoder(request: pytest.FixtureRequest) -> Iterator[Decoder]:
    started = Decoder(request.param, 2)
    yield started
    started.shutdown()


async def test_check_runs_in_the_decoder_and_answers_the_same(decoder: Decoder) -> None:
    data = encode(scene(30, (200, 100)), "image/png")
    checked = await decoder.run(check, data, "image/png", max_pixels=50_000)
    assert checked.facts == analyse(data, "image/png")
    assert checked.redacted_jpeg is not None and checked.redacted_jpeg[:3] == b"\xff\xd8\xff"


async def test_a_pixel_refusal_comes_back_as_too_many_pixels(decoder: Decoder) -> None:
    data = encode(scene(31, (200, 100)), "image/jpeg")
    with pytest.raises(TooManyPixels) as refused:
        await decoder.run(check, data, "image/jpeg", max_pixels=19_999)
    assert (refused.value.size, refused.value.limit) == ((200, 100), 19_999)


in_flight = 0
most_in_flight = 0
_count_lock = threading.Lock()


def _slow_count() -> int:
    global in_flight, most_in_flight
    with _count_lock:
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
    time.sleep(0.05)
    with _count_lock:
        in_flight -= 1
    return most_in_flight


async def test_no_more_than_the_configured_decodes_run_at_once() -> None:
    threads = Decoder("thread", 2)
    try:
        await asyncio.gather(*(threads.run(_slow_count) for _ in range(8)))
    finally:
        threads.shutdown()
    assert most_in_flight == 2


async def test_a_decode_process_that_dies_loses_that_decode_only() -> None:
    processes = Decoder("process", 1)
    try:
        with pytest.raises(DecoderLost):
            await processes.run(os._exit, 1)  # what the kernel's OOM killer does to a decode process
        data = encode(scene(32, (64, 48)), "image/png")
        assert (await processes.run(check, data, "image/png")).facts.width == 64  # a fresh pool
    finally:
        processes.shutdown()


def test_one_decoder_per_setting_per_process() -> None:
    assert decoding.decoder("thread", 3) is decoding.decoder("thread", 3)
    assert decoding.decoder("thread", 3) is not decoding.decoder("thread", 4)


def test_settings_read_the_pixel_budget_and_decode_mode() -> None:
    defaults = settings_from_env(BASE_ENV)
    assert (defaults.photo_max_pixels, defaults.photo_decode_in, defaults.photo_decode_workers) == (
        50_000_000, "process", 2)
    chosen = settings_from_env(BASE_ENV | {"PHOTO_MAX_PIXELS": "12000000", "PHOTO_DECODE_IN": "thread",
                                           "PHOTO_DECODE_WORKERS": "1"})
    assert (chosen.photo_max_pixels, chosen.photo_decode_in, chosen.photo_decode_workers) == (
        12_000_000, "thread", 1)
    with pytest.raises(SettingsError, match="PHOTO_DECODE_IN"):
        settings_from_env(BASE_ENV | {"PHOTO_DECODE_IN": "gpu"})
    with pytest.raises(SettingsError, match="PHOTO_MAX_PIXELS"):
        settings_from_env(BASE_ENV | {"PHOTO_MAX_PIXELS": "0"})
