"""A burst of requests never exhausts the database connections: at most as many requests are
inside the app as there are connections, the rest wait, or are told the server is busy."""

from __future__ import annotations

import asyncio

import anyio
import httpx
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tenure.db import CONNECTIONS
from tenure.kit.admission import Admission


def test_a_burst_past_the_connection_pool_is_served_whole(app, browser):
    # Before requests were admitted by connection, 40 worker threads against 15 connections
    # deadlocked: each thread waited for a connection held by a request waiting for a thread.
    cookies = {"tenure_session": browser("csm").client.cookies["tenure_session"]}
    urls = ["/accounts/acme", "/book", "/accounts/initech", "/renewals"] * 50
    assert len(urls) > 40 + CONNECTIONS

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", cookies=cookies
        ) as client:
            with anyio.fail_after(60):
                answers = await asyncio.gather(*(client.get(url) for url in urls))
        return [answer.status_code for answer in answers]

    assert anyio.run(burst) == [200] * len(urls)


def _one_slot(entered: anyio.Event, release: anyio.Event, wait_seconds: float):
    """A client of an app with one slot and a request (/slow) that holds it until released."""

    async def slow(_request):
        entered.set()
        await release.wait()
        return PlainTextResponse("done")

    async def quick(_request):
        return PlainTextResponse("ok")

    routes = [Route("/slow", slow), Route("/quick", quick), Route("/healthz", quick)]
    app = Admission(Starlette(routes=routes), limit=1, wait_seconds=wait_seconds)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def _get(client: httpx.AsyncClient, url: str, answers: list[str]) -> None:
    answers.append((await client.get(url)).text)


def test_a_request_that_waits_too_long_is_told_the_server_is_busy():
    async def scenario() -> None:
        entered, release = anyio.Event(), anyio.Event()
        answers: list[str] = []
        async with _one_slot(entered, release, wait_seconds=0.2) as client:
            async with anyio.create_task_group() as group:
                group.start_soon(_get, client, "/slow", answers)
                await entered.wait()  # the slow request holds the one slot
                busy = await client.get("/quick")
                assert busy.status_code == 503
                assert busy.headers["retry-after"] == "1"
                assert "busy" in busy.text
                # The liveness probe is never queued.
                assert (await client.get("/healthz")).status_code == 200
                release.set()
            assert answers == ["done"]
            # The slot is free again.
            assert (await client.get("/quick")).text == "ok"

    anyio.run(scenario)


def test_requests_within_the_wait_are_served_in_turn():
    async def scenario() -> None:
        entered, release = anyio.Event(), anyio.Event()
        answers: list[str] = []
        async with _one_slot(entered, release, wait_seconds=30) as client:
            async with anyio.create_task_group() as group:
                group.start_soon(_get, client, "/slow", answers)
                await entered.wait()
                group.start_soon(_get, client, "/quick", answers)  # waits for the slot
                await anyio.sleep(0.1)
                assert answers == []
                release.set()
        assert sorted(answers) == ["done", "ok"]

    anyio.run(scenario)
