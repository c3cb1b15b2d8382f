"""Side-by-side measurements behind docs/decisions.md: JSON codecs and upstream HTTP clients.

Run: .venv/bin/python bench/libraries.py   (needs orjson and httpx, which the test extras bring)
"""

import asyncio
import json
import time

import aiohttp
import httpx
import msgspec
import orjson
from aiohttp import web

from gateway import samples

payload = samples.sync(1000)
raw = json.dumps(payload).encode()


def t(fn, n=20):
    best = 1e9
    for _ in range(n):
        s = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - s)
    return best * 1000


print(f"body {len(raw) / 1e6:.2f} MB")
for name, dec, enc in [
    ("json", json.loads, lambda d: json.dumps(d).encode()),
    ("orjson", orjson.loads, orjson.dumps),
    ("msgspec", msgspec.json.decode, msgspec.json.encode),
]:
    d = dec(raw)
    decode = t(lambda dec=dec: dec(raw))  # type: ignore[misc]
    encode = t(lambda enc=enc, d=d: enc(d))  # type: ignore[misc]
    print(f"{name:8} decode {decode:6.2f} ms  encode {encode:6.2f} ms")


async def main():
    async def h(r):
        return web.Response(body=b'{"ok":true}', content_type="application/json")

    app = web.Application()
    app.router.add_post("/x", h)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/x"
    body = b'{"a":1}'
    N = 500
    async with httpx.AsyncClient() as c:
        for _ in range(20):
            await c.post(url, content=body)
        s = time.perf_counter()
        for _ in range(N):
            (await c.post(url, content=body)).read()
        hx = (time.perf_counter() - s) / N * 1000
    async with aiohttp.ClientSession() as c:
        for _ in range(20):
            async with c.post(url, data=body) as r:
                await r.read()
        s = time.perf_counter()
        for _ in range(N):
            async with c.post(url, data=body) as r:
                await r.read()
        ah = (time.perf_counter() - s) / N * 1000
    print(
        f"sequential POST to local aiohttp server: httpx {hx:.3f} ms, "
        f"aiohttp {ah:.3f} ms, ratio {hx / ah:.1f}x"
    )
    await runner.cleanup()


asyncio.run(main())
