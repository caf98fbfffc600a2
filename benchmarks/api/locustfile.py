"""The locust users of the API benchmark (run by ``python -m benchmarks.api.run``).

One user class per phase: ``Healthz``, ``MerchantById``, ``Catalogue``, ``Slots`` (each one
endpoint, no pause: closed-loop throughput), ``Mix`` (the realistic mix: catalogue 40 %, slots
30 %, booking create 10 %, tracking 10 %, courier stop updates 10 %) and ``BookingRate``
(booking create at a fixed rate: one request per second per user).

What the users need (logins, the demo day, bookable days, tracking tokens, stops) is read
from the JSON file named by ``LOUISE_BENCH_FIXTURE``, written by the runner after seeding.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from typing import Any

import gevent
from locust import FastHttpUser, task

with open(os.environ["LOUISE_BENCH_FIXTURE"], encoding="utf-8") as _file:
    FIXTURE: dict[str, Any] = json.load(_file)

API = "/api/v1"
_residents = itertools.cycle(FIXTURE["residents"])
_couriers = itertools.cycle(FIXTURE["couriers"])
_bookable = itertools.cycle(FIXTURE["bookable"])
_addresses = itertools.cycle(FIXTURE["addresses"])
_positions = FIXTURE["positions"]
#: Pickups are completed once each: shared by every user that logs in as their courier. The
#: mix of a later round (``--rounds``) finds them completed by the first, and reports arrivals.
_pickups: dict[str, list[dict[str, Any]]] = {
    c["email"]: list(c["pickups"]) if os.environ.get("LOUISE_BENCH_ROUND", "1") == "1" else []
    for c in FIXTURE["couriers"]
}


def _slots_url() -> str:
    lat, lon = random.choice(_positions)
    offer = random.choice(FIXTURE["slot_offers"])
    return f"{API}/slots?date={FIXTURE['day']}&offer_id={offer}&lat={lat}&lon={lon}"


class _Api(FastHttpUser):
    abstract = True

    def login(self, email: str) -> dict[str, str]:
        # Tokens the runner issued before the phases: 50 logins (argon2 each) at a phase's
        # start would burn the first second's CPU and show up as the bookings' p95/p99.
        issued = FIXTURE.get("tokens", {}).get(email)
        if issued is not None:
            return {"Authorization": f"Bearer {issued}"}
        with self.client.post(
            f"{API}/auth/login",
            json={"email": email, "password": FIXTURE["password"]},
            name="login",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"login {email}: {response.status_code}")
                raise RuntimeError(f"login {email} failed")
            token = response.json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    def create_booking(self) -> None:
        offer_id, day, window = next(_bookable)
        body = {"offer_id": offer_id, "date": day, "window": window, "address": next(_addresses)}
        headers = {**self.resident, "Idempotency-Key": uuid.uuid4().hex}
        with self.client.post(
            f"{API}/bookings",
            json=body,
            headers=headers,
            name="POST /bookings",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")
            else:
                self.tracking.append(response.json()["tracking_token"])


class Healthz(_Api):
    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="GET /healthz")


class MerchantById(_Api):
    @task
    def merchant(self) -> None:
        self.client.get(f"{API}/merchants/1", name="GET /merchants/1")


class Catalogue(_Api):
    @task
    def offers(self) -> None:
        self.client.get(f"{API}/offers?limit=20", name="GET /offers?limit=20")


class Slots(_Api):
    @task
    def slots(self) -> None:
        self.client.get(_slots_url(), name="GET /slots")


class Mix(_Api):
    """A resident and a courier at once: each user logs in as both before the clock starts."""

    def on_start(self) -> None:
        self.resident = self.login(next(_residents))
        courier = next(_couriers)
        self.courier = self.login(courier["email"])
        self.stops: list[int] = list(courier["stops"])
        self.pickups = _pickups[courier["email"]]
        self.tracking: list[str] = list(FIXTURE["tracking"])

    @task(40)
    def catalogue(self) -> None:
        offset = random.choice((0, 20, 40))
        self.client.get(f"{API}/offers?limit=20&offset={offset}", name="GET /offers?limit=20")

    @task(30)
    def slots(self) -> None:
        self.client.get(_slots_url(), name="GET /slots")

    @task(10)
    def book(self) -> None:
        self.create_booking()

    @task(10)
    def track(self) -> None:
        token = random.choice(self.tracking)
        self.client.get(f"{API}/track/{token}", name="GET /track/{token}")

    @task(10)
    def stop_update(self) -> None:
        # A pickup at a shop is completed once (with the booking code); after that the courier
        # keeps reporting arrivals at the route's open stops (saying so twice changes nothing).
        if self.pickups:
            pickup = self.pickups.pop()
            self.client.post(
                f"{API}/courier/stops/{pickup['id']}/complete",
                json={"booking_code": pickup["booking_code"]},
                headers=self.courier,
                name="POST /courier/stops/{id}/complete",
            )
            return
        stop = random.choice(self.stops)
        self.client.post(
            f"{API}/courier/stops/{stop}/arrived",
            headers=self.courier,
            name="POST /courier/stops/{id}/arrived",
        )


class BookingRate(_Api):
    """Booking create at a fixed rate: 50 users, each one request a second on average.

    Each user's requests are a Poisson process (exponential gaps, mean 1 s), paced from the
    planned start times rather than from when an answer came back: the 50 together send 50 a
    second, spread over the second the way independent residents would, bunches included.

    Not ``constant_throughput(1)``: locust (2.47) times that pacing from the moment the user
    was created, so a random pause in ``on_start`` is taken off the first wait again, and all
    50 users then send at the same instant every second (a burst of 50, measured as the
    latency of the 50th in the queue).
    """

    def on_start(self) -> None:
        self.resident = self.login(next(_residents))
        self.tracking: list[str] = []
        self.next_at = time.perf_counter() + random.expovariate(1.0)
        gevent.sleep(max(0.0, self.next_at - time.perf_counter()))

    def wait_time(self) -> float:
        self.next_at += random.expovariate(1.0)
        return max(0.0, self.next_at - time.perf_counter())

    @task
    def book(self) -> None:
        self.create_booking()
