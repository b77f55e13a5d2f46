"""The conflict load test (bench/conflict_load.py) at a small size, against a real gunicorn
server on PostgreSQL: no lost note, histories match statuses, no 5xx, no deadlock."""

from __future__ import annotations

import pytest

from tests.databases import server_url

pytestmark = pytest.mark.skipif(
    server_url() is None, reason="the conflict load test runs on PostgreSQL (TEST_DATABASE_URL)"
)


def test_concurrent_browsers_lose_no_update_and_get_no_error():
    from bench.conflict_load import run

    tally, problems = run(server_url(), clients=6, seconds=4, missions=10)

    assert problems == []
    assert sum(tally.counts.values()) > 50
    assert tally.counts["note added"] > 0 and tally.counts["registration saved"] > 0
    assert tally.counts["transition done"] > 0
