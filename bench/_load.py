"""The load generator of `bench/rush.py`, run in a process of its own (so that its work
is not the server's): `python -m bench._load CONFIG.json` runs one phase against the
server and prints its results as one JSON line on stdout.

An asyncio client (httpx): `concurrency` tasks take the jobs from one queue, each job a
short script of one shopkeeper (place then change an order, read the fill, ...). Each
request's latency and status are recorded; the phase's wall time is from the first
request sent to the last answer received. It imports nothing of Django.
"""

import asyncio
import json
import random
import sys
import time

import httpx


def order_lines(rng: random.Random, products: list[int], count: int) -> list[dict]:
    return [
        {"product": product, "quantity": rng.randint(1, 12), "tolerance": rng.randint(0, 2)}
        for product in sorted(rng.sample(products, count))
    ]


class Recorder:
    def __init__(self):
        self.latencies: dict[str, list[float]] = {}
        self.statuses: dict[str, dict[str, int]] = {}
        self.late: list[dict] = []

    def add(self, kind: str, seconds: float, status: int, code: str = "") -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        key = f"{status}{':' + code if code else ''}"
        counts = self.statuses.setdefault(kind, {})
        counts[key] = counts.get(key, 0) + 1


async def timed(client, recorder, kind, method, url, **kwargs):
    sent = time.time()
    start = time.perf_counter()
    response = await client.request(method, url, **kwargs)
    seconds = time.perf_counter() - start
    code = ""
    if response.status_code >= 400:
        try:
            code = response.json().get("code", "")
        except ValueError:
            code = "not-json"
    recorder.add(kind, seconds, response.status_code, code)
    return response, sent


async def run(config: dict) -> dict:
    rng = random.Random(config.get("seed", 2026))
    phase = config["phase"]
    jobs: asyncio.Queue = asyncio.Queue()
    for job in config["jobs"]:
        jobs.put_nowait(job)
    recorder = Recorder()
    products = config.get("products", [])
    lines = config.get("lines", 30)
    round_id = config.get("round")
    # Payloads made before the clock starts: their making is not the server's time.
    payloads = {
        index: (order_lines(rng, products, lines), order_lines(rng, products, lines))
        for index, _ in enumerate(config["jobs"])
    }
    for index, job in enumerate(config["jobs"]):
        job["_index"] = index
    limits = httpx.Limits(
        max_connections=config["concurrency"], max_keepalive_connections=config["concurrency"]
    )
    stop_at = time.monotonic() + config["seconds"] if config.get("seconds") else None

    async def worker(client):
        while True:
            if stop_at is not None:
                if time.monotonic() >= stop_at:
                    return
                job = config["jobs"][rng.randrange(len(config["jobs"]))]
            else:
                try:
                    job = jobs.get_nowait()
                except asyncio.QueueEmpty:
                    return
            headers = {"Authorization": f"Token {job['token']}"}
            first, second = payloads[job["_index"]]
            if phase == "me":
                await timed(client, recorder, "me", "GET", "/api/me/", headers=headers)
            elif phase == "fill":
                await timed(
                    client,
                    recorder,
                    "fill",
                    "GET",
                    f"/api/rounds/{round_id}/fill/",
                    headers=headers,
                )
            elif phase == "rush":
                response, _ = await timed(
                    client,
                    recorder,
                    "write",
                    "POST",
                    "/api/orders/",
                    headers=headers,
                    json={"round": round_id, "lines": first},
                )
                if response.status_code == 201:
                    job["order"] = response.json()["id"]
                    await timed(
                        client,
                        recorder,
                        "write",
                        "PUT",
                        f"/api/orders/{job['order']}/",
                        headers=headers,
                        json={"lines": second},
                    )
            elif phase == "late":
                # Changes of their orders, on and on, while the coordinator closes the round.
                response, sent = await timed(
                    client,
                    recorder,
                    "late",
                    "PUT",
                    f"/api/orders/{job['order']}/",
                    headers=headers,
                    json={"lines": order_lines(rng, products, lines)},
                )
                recorder.late.append({"sent": sent, "status": response.status_code})

    async with httpx.AsyncClient(
        base_url=config["base_url"], limits=limits, timeout=60.0
    ) as client:
        print("started", flush=True)
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(config["concurrency"])))
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "latencies": recorder.latencies,
        "statuses": recorder.statuses,
        "late": recorder.late,
        "orders": {job["shop"]: job.get("order") for job in config["jobs"]},
    }


def main() -> None:
    with open(sys.argv[1]) as file:
        config = json.load(file)
    result = asyncio.run(run(config))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
