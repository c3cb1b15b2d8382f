"""Overzicht: the last 30 Amsterdam days at a glance."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from gateway.console import charts, dutch, overview, scan
from gateway.console.site import Console

DAYS = 30


async def page(request: Request, console: Console) -> Response:
    zone = console.settings.zone
    today = console.today()
    days = overview.days_back(today, DAYS)
    since = dutch.day_start(days[0], zone)
    await scan.catch_up(console.queue.special_paths, scan.PAGE_BATCH)
    totals = await overview.per_supplier(since, zone)
    stripped = await overview.most_stripped(since)
    for supplier in totals:
        supplier.daily = {d: supplier.daily.get(d, 0) for d in days}
    graphs = {
        s.supplier: charts.columns([(dutch.day(d), n) for d, n in s.daily.items()]) for s in totals
    }
    stripped_chart = charts.rows([(f.path, f.count) for f in stripped])
    agreements = console.sources.register.agreements(today)
    attention = [a for a in agreements if a.needs_attention(today)]
    reviews_known = any(a.review_due for a in agreements)
    queue = await console.queue.transfer_counts("open")
    return console.render(
        request,
        "overview.html",
        {
            "page_id": "overzicht",
            "first_day": days[0],
            "last_day": today,
            "totals": totals,
            "graphs": graphs,
            "stripped": stripped,
            "stripped_chart": stripped_chart,
            "attention": attention,
            "today": today,
            "reviews_known": reviews_known,
            "queue": queue,
            "sum": {
                "transfers": sum(s.transfers for s in totals),
                "pupils": sum(s.pupils for s in totals),
                "blocked": sum(s.blocked for s in totals),
                "rejected": sum(s.rejected for s in totals),
                "invalid": sum(s.invalid for s in totals),
                "inspected": sum(s.inspected for s in totals),
            },
            "period_query": {"van": days[0].isoformat(), "tot": today.isoformat()},
            "week_ago": today - timedelta(days=6),
        },
    )
