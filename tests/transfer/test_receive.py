"""Unit tests for gateway.transfer.receive: decompression bounds and the byte-order mark."""

from __future__ import annotations

import gzip
import zlib

import pytest

from gateway.problems import Rejected
from gateway.transfer import receive
from gateway.transfer.receive import RATIO_FREE_BYTES, BodyLimits, Received

LIMITS = BodyLimits(max_bytes=64 * 1024 * 1024, max_ratio=100, seconds=0)


def gzipped_zeros(size: int) -> bytes:
    """``size`` zero bytes, gzip'd: about 1000 times smaller."""
    return gzip.compress(bytes(size), 9)


def test_a_body_within_the_ratio_is_decompressed_whole() -> None:
    """A body that unpacks to less than the ratio times its size comes back whole."""
    body = (
        b'{"leerlingen": ['
        + b",".join(b'{"leerlingkey": "LL-%06d"}' % n for n in range(50000))
        + b"]}"
    )
    out = receive.decoded(Received(bytearray(gzip.compress(body)), "gzip"), LIMITS)
    assert out == body


def test_small_bodies_may_have_any_ratio() -> None:
    """Up to RATIO_FREE_BYTES a body may compress as well as it likes (tiny bodies do)."""
    packed = gzipped_zeros(RATIO_FREE_BYTES)
    assert len(packed) * 100 < RATIO_FREE_BYTES
    assert len(receive.decoded(Received(bytearray(packed), "gzip"), LIMITS)) == RATIO_FREE_BYTES


def test_over_the_ratio_is_413_saying_so() -> None:
    """One byte more than the ratio allows (above the free size) is 413 body-too-large."""
    packed = gzipped_zeros(8 * 1024 * 1024)
    with pytest.raises(Rejected) as refused:
        receive.decoded(Received(bytearray(packed), "gzip"), LIMITS)
    assert (refused.value.status_code, refused.value.problem) == (413, "body-too-large")
    assert "100 times" in refused.value.detail


def test_a_ratio_of_zero_leaves_only_the_size_limit() -> None:
    """GATEWAY_MAX_DECOMPRESSION_RATIO=0: a bomb is bounded by the size limit alone."""
    packed = gzipped_zeros(8 * 1024 * 1024)
    unbounded = BodyLimits(max_bytes=64 * 1024 * 1024, max_ratio=0, seconds=0)
    assert len(receive.decoded(Received(bytearray(packed), "gzip"), unbounded)) == 8 * 1024 * 1024
    small = BodyLimits(max_bytes=4 * 1024 * 1024, max_ratio=0, seconds=0)
    with pytest.raises(Rejected, match="over 4194304 bytes"):
        receive.decoded(Received(bytearray(packed), "gzip"), small)


@pytest.mark.parametrize(
    "received",
    [
        Received(bytearray(b"\xef\xbb\xbf{}"), "identity"),
        Received(bytearray(gzip.compress(b"\xef\xbb\xbf{}")), "gzip"),
        Received(bytearray(zlib.compress(b"\xef\xbb\xbf{}")), "deflate"),
    ],
    ids=["plain", "gzip", "deflate"],
)
def test_a_leading_byte_order_mark_is_dropped(received: Received) -> None:
    """A UTF-8 BOM at the start is dropped, plain or compressed; the rest is the body."""
    assert receive.decoded(received, LIMITS) == b"{}"


def test_a_byte_order_mark_elsewhere_stays() -> None:
    """Only a leading BOM is dropped: one after whitespace is the body's (the filter refuses)."""
    assert (
        receive.decoded(Received(bytearray(b" \xef\xbb\xbf{}"), ""), LIMITS) == b" \xef\xbb\xbf{}"
    )
