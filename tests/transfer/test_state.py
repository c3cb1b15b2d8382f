"""A transfer's id is time-ordered, so the log's tables and indexes keyed by it append."""

from __future__ import annotations

import time
from datetime import timedelta

from gateway.transfer.state import Transfer


def test_a_transfer_id_is_a_version_7_uuid_holding_its_start_to_the_millisecond() -> None:
    transfer = Transfer("POST")
    assert (transfer.id.version, transfer.id.variant) == (7, "specified in RFC 4122")
    held_ms = transfer.id.int >> 80  # RFC 9562 section 5.7: the first 48 bits, Unix ms
    started_ms = transfer.started_at.timestamp() * 1000
    assert abs(held_ms - started_ms) < timedelta(seconds=1) / timedelta(milliseconds=1)


def test_later_transfers_sort_after_earlier_ones_as_bytes_and_as_text() -> None:
    made = []
    for _ in range(5):
        made.append(Transfer("POST").id)
        time.sleep(0.002)  # a millisecond apart at least: ordering within one is not promised
    assert made == sorted(made, key=lambda i: i.bytes)
    assert [str(i) for i in made] == sorted(str(i) for i in made)
    assert len(set(made)) == len(made)
