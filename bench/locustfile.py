"""Locust users for bench/load.py: anonymous readers of the public site at a steady rate.

Run by bench/load.py (`locust --headless`), never on its own: the paths to request come from the
JSON file named by $LOAD_PATHS ({"home": [...], "edition": [...], "permalink": [...],
"search-name": [...], "search-code": [...], "search-text": [...]}); every request's latency is
written, per page kind, to the JSON file named by $LOAD_OUT when Locust stops, so load.py
computes exact percentiles rather than Locust's rounded ones. $LOAD_RATE is each user's requests
per second (`constant_throughput`: the user waits out the rest of its interval, so the total
rate stays users × rate while answers are faster than the interval); users start at random
points of their interval so that requests arrive spread out, not in bursts.
"""

from __future__ import annotations

import json
import os
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, constant_throughput, events, task

PATHS: dict[str, list[str]] = json.loads(Path(os.environ["LOAD_PATHS"]).read_text(encoding="utf-8"))
# How often each kind of page is asked for: permalinks (shared links, search engines) and
# searches dominate a notices site; the front page and edition pages less so.
WEIGHTS = {
    "home": 1,
    "edition": 1,
    "permalink": 4,
    "search-name": 2,
    "search-code": 2,
    "search-text": 2,
}
_latencies: dict[str, list[float]] = defaultdict(list)
_errors: dict[str, list[str]] = defaultdict(list)


@events.request.add_listener
def _record(
    name: str, response_time: float, exception: Any, url: str = "", response: Any = None, **_: Any
) -> None:
    _latencies[name].append(response_time)
    if exception is not None:
        _errors[name].append(f"{getattr(response, 'status_code', None)} {url} {exception}"[:300])


@events.quitting.add_listener
def _dump(environment: Any, **_: Any) -> None:
    with open(os.environ["LOAD_OUT"], "w", encoding="utf-8") as out:
        json.dump({"latencies_ms": _latencies, "errors": _errors}, out)


RATE = float(os.environ.get("LOAD_RATE", "1"))


class Reader(HttpUser):
    wait_time = constant_throughput(RATE)

    def on_start(self) -> None:
        # Readers start at random points of their interval: started together they would keep
        # arriving in bursts, and the run would measure queueing behind the bursts, not a steady rate.
        gevent.sleep(random.uniform(0, 1 / RATE))

    @task
    def read(self) -> None:
        kind = random.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        path = random.choice(PATHS[kind])
        with self.client.get(
            path, name=kind, headers={"Accept-Language": "zh-CN"}, allow_redirects=False, catch_response=True
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
            elif b"</html>" not in resp.content:
                resp.failure("truncated page")
            else:
                resp.success()
