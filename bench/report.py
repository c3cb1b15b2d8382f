"""Tables and targets from the results dict (the same dict that goes to .bench/results.json),
as aligned text for the terminal and as Markdown for docs/performance.md."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MB = 1_000_000

# what each load target is, in the tables
LABELS = {
    "upstream": "upstream alone (nginx return 200, no proxy)",
    "nginx": "nginx proxy_pass, 1 worker",
    "nginx-lua": "nginx + Lua allowlist filter (OpenResty style), 1 worker",
    "gw-sqlite": "gateway, SQLite, log on, 1 process",
    "gw-sqlite-nolog": "gateway, SQLite, log off, 1 process",
    "gw-pg": "gateway, PostgreSQL, log on, 1 process",
    "gw-pg-nolog": "gateway, PostgreSQL, log off, 1 process",
    "nginx-2w": "nginx proxy_pass, 2 workers",
    "gw-pg-2w": "gateway, PostgreSQL, log on, 2 workers",
}
# each gateway's throughput is compared with the nginx of the same number of processes
BASELINE = {
    "nginx": "nginx",
    "nginx-lua": "nginx",
    "gw-sqlite": "nginx",
    "gw-sqlite-nolog": "nginx",
    "gw-pg": "nginx",
    "gw-pg-nolog": "nginx",
    "nginx-2w": "nginx-2w",
    "gw-pg-2w": "nginx-2w",
}
LOGGING_PAIRS = {"SQLite": ("gw-sqlite", "gw-sqlite-nolog"), "PostgreSQL": ("gw-pg", "gw-pg-nolog")}

Table = tuple[str, Sequence[str], Sequence[Sequence[str]]]  # title, header, rows


def _throughput(results: dict[str, Any], target: str, pupils: int) -> dict[str, Any] | None:
    for row in results.get("throughput", []):
        if row["target"] == target and row["pupils"] == pupils:
            return dict(row)
    return None


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _cpu(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


# --- tables ----------------------------------------------------------------------------------


def filter_table(results: dict[str, Any]) -> Table:
    rows = [
        (
            f"{r['pupils']:,}",
            f"{r['body_bytes'] / MB:.1f}",
            f"{r['pupils_per_s']['gateway']:,.0f}",
            f"{r['pupils_per_s']['reference']:,.0f}",
            f"{r['pupils_per_s']['naive']:,.0f}",
            _ratio(r["ratio"]),
            f"{r['stripped_fields']:,}",
            str(r["runs"]),
        )
        for r in results.get("filter", [])
    ]
    header = (
        "pupils",
        "body MB",
        "gateway pupils/s",
        "reference filter pupils/s",
        "naive pupils/s",
        "gateway/naive",
        "stripped fields",
        "runs",
    )
    return "1. Filter core (median of runs, same payload, same output)", header, rows


def throughput_table(results: dict[str, Any]) -> Table:
    rows = []
    for r in results.get("throughput", []):
        base = _throughput(results, BASELINE.get(r["target"], ""), r["pupils"])
        ratio = r["rps"] / base["rps"] if base and base["rps"] else None
        spread = [run["rps"] for run in r.get("runs", [])]
        rows.append(
            (
                f"{r['pupils']:,}",
                LABELS.get(r["target"], r["target"]),
                f"{r['rps']:,.0f}",
                f"{min(spread):,.0f}-{max(spread):,.0f}" if len(spread) > 1 else "",
                _ratio(ratio) if base and r["target"] != base["target"] else "",
                _ratio(_over_lua(results, r)),
                f"{r['p50_ms']:.2f}",
                f"{r['p99_ms']:.2f}",
                _cpu(r.get("cpu_us_per_request")),
                str(r["errors"]),
            )
        )
    header = (
        "pupils",
        "target",
        "req/s",
        "rounds",
        "vs nginx",
        "vs Lua peer",
        "p50 ms",
        "p99 ms",
        "CPU us/req",
        "errors",
    )
    return "2. Gateway vs nginx (wrk, same connections; median of rounds)", header, rows


def _over_lua(results: dict[str, Any], row: dict[str, Any]) -> float | None:
    """A gateway's req/s over the Lua peer's at the same size (1-process gateways only)."""
    if not row["target"].startswith("gw-") or row["target"].endswith("-2w"):
        return None
    lua = _throughput(results, "nginx-lua", row["pupils"])
    return row["rps"] / lua["rps"] if lua and lua["rps"] else None


def ceiling_table(results: dict[str, Any]) -> Table:
    rows = []
    for r in results.get("ceiling", []):
        nginx = _throughput(results, "nginx", r["pupils"])
        gateway = _throughput(results, "gw-sqlite", r["pupils"])
        rows.append(
            (
                f"{r['pupils']:,}",
                f"{r['seconds'] * 1000:.3f}",
                f"{r['rps']:,.0f}",
                f"{nginx['rps']:,.0f}" if nginx else "-",
                _ratio(r["rps"] / nginx["rps"]) if nginx else "-",
                f"{gateway['rps']:,.0f}" if gateway else "-",
                _ratio(gateway["rps"] / r["rps"]) if gateway else "-",
            )
        )
    header = (
        "pupils",
        "body work ms",
        "ceiling req/s",
        "nginx 1 worker req/s",
        "ceiling/nginx",
        "gateway SQLite log on req/s",
        "gateway/ceiling",
    )
    return (
        "2c. The ceiling: filter, encode and hash of one body alone, one process (no HTTP, no log)",
        header,
        rows,
    )


def logging_table(results: dict[str, Any]) -> Table:
    rows = []
    for database, (on, off) in LOGGING_PAIRS.items():
        for pupils in results.get("plan", {}).get("sizes", []):
            with_log, without = _throughput(results, on, pupils), _throughput(results, off, pupils)
            if with_log is None or without is None:
                continue
            cost = 1 - with_log["rps"] / without["rps"]
            cpu_on, cpu_off = with_log.get("cpu_us_per_request"), without.get("cpu_us_per_request")
            rows.append(
                (
                    database,
                    f"{pupils:,}",
                    f"{with_log['rps']:,.0f}",
                    f"{without['rps']:,.0f}",
                    f"{cost * 100:.1f}%",
                    _cpu(cpu_on),
                    _cpu(cpu_off),
                    f"{(cpu_on / cpu_off - 1) * 100:.1f}%" if cpu_on and cpu_off else "-",
                )
            )
    header = (
        "database",
        "pupils",
        "req/s log on",
        "req/s log off",
        "cost",
        "CPU us/req log on",
        "CPU us/req log off",
        "CPU cost",
    )
    return "3. Logging cost (durable transfer log against none)", header, rows


def latency_table(results: dict[str, Any]) -> Table:
    rows = [
        (
            LABELS.get(r["target"], r["target"]),
            r["rate_of"],
            f"{r['rate']:,.0f}",
            f"{r['p50_ms']:.2f}",
            f"{r['direct_p50_ms']:.2f}",
            f"{r['added_p50_ms']:.2f}",
            ", ".join(f"{v:.2f}" for v in r.get("added_p50_rounds", [])),
            f"{r['p99_ms']:.2f}",
            f"{r['lag_p50_ms']:.2f}",
            str(r["errors"]),
        )
        for r in results.get("latency", [])
    ]
    header = (
        "through",
        "half the max of",
        "req/s sent",
        "p50 ms",
        "direct p50 ms",
        "added p50 ms",
        "added p50, each round",
        "p99 ms",
        "client lag p50",
        "errors",
    )
    return (
        "2b. Added latency at half the gateway's maximum rate (open loop, 100 pupils; the "
        "median round)",
        header,
        rows,
    )


def memory_table(results: dict[str, Any]) -> Table:
    m = results.get("memory")
    rows = []
    if m:
        rows.append(
            (
                f"{m['pupils']:,}",
                f"{m['body_bytes'] / MB:.1f}",
                f"{m['baseline_rss_bytes'] / MB:.1f}",
                f"{m['peak_rss_bytes'] / MB:.1f}",
                _ratio(m["peak_over_body"]),
                _ratio(m["added_over_body"]),
                f"{m['seconds']:.1f}",
            )
        )
    header = (
        "pupils",
        "body MB",
        "RSS before MB",
        "peak RSS MB",
        "peak/body",
        "(peak-before)/body",
        "sync s",
    )
    return "4. Memory (gateway, SQLite, log on, one sync)", header, rows


def receive_memory_table(results: dict[str, Any]) -> Table:
    rows = [
        (
            r["case"],
            f"{r['wire_bytes'] / MB:.1f}",
            f"{r['body_bytes'] / MB:.1f}",
            f"{r['baseline_rss_bytes'] / MB:.1f}",
            f"{r['peak_rss_bytes'] / MB:.1f}",
            _ratio(r["peak_over_body"]),
            _ratio(r["added_over_body"]),
            f"{r['seconds']:.1f}",
        )
        for r in results.get("memory_receive", [])
    ]
    header = ("body", "sent MB", "body MB", "RSS before MB", "peak RSS MB", "peak/body",
              "(peak-before)/body", "sync s")  # fmt: skip
    return "4b. Memory through the receive step (one gateway per body, chunked)", header, rows


def fairness_table(results: dict[str, Any]) -> Table:
    f = results.get("fairness")
    rows = []
    if f:
        rows.append(
            (
                f"{f['rate']:g}/s, {f['seconds']:g} s",
                f"{f['alone_p50_ms']:.2f}",
                f"{f['during_p50_ms']:.2f}",
                f"{f['added_p50_ms']:.2f}",
                f"{f['alone_p99_ms']:.2f}",
                f"{f['during_p99_ms']:.2f}",
                f"{f['large_syncs']} x {f['large_pupils']:,} pupils, {f['large_sync_s']:.1f} s",
                str(f["errors"]),
            )
        )
    header = ("1-pupil transfers", "p50 alone ms", "p50 beside ms", "added p50 ms",
              "p99 alone ms", "p99 beside ms", "large syncs (median)", "errors")  # fmt: skip
    return "5. Fairness: 1-pupil transfers beside large syncs (SQLite, log on)", header, rows


# --- targets ---------------------------------------------------------------------------------


def _target(
    name: str, measured: float | None, limit: float, unit: str, higher: bool
) -> dict[str, Any]:
    met = None if measured is None else (measured >= limit if higher else measured <= limit)
    return {
        "name": name,
        "measured": measured,
        "limit": limit,
        "unit": unit,
        "met": met,
        "higher_is_better": higher,
    }


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    filter_10k = next((r for r in results.get("filter", []) if r["pupils"] == 10_000), None)
    found.append(
        _target(
            "filter core vs naive validating filter, 10,000 pupils",
            filter_10k["ratio"] if filter_10k else None,
            3.0,
            "x",
            higher=True,
        )
    )
    for pupils, wanted in ((100, 1.25), (1_000, 2.5)):
        for database, (on, _off) in LOGGING_PAIRS.items():
            gateway = _throughput(results, on, pupils)
            name = f"gateway/Lua peer req/s, {pupils:,} pupils, log on, {database}"
            found.append(
                _target(name, _over_lua(results, gateway) if gateway else None, wanted, "x", True)
            )
    nginx = _throughput(results, "nginx", 100)
    for database, (on, _off) in LOGGING_PAIRS.items():
        gateway = _throughput(results, on, 100)
        ratio = gateway["rps"] / nginx["rps"] if gateway and nginx else None
        found.append(
            _target(f"gateway/nginx req/s, 100 pupils, log on, {database}", ratio, 0.3, "x", True)
        )
    for r in results.get("latency", []):
        if r["target"] in ("gw-sqlite", "gw-pg"):
            name = f"p50 added latency at half max rate, {LABELS[r['target']]}"
            found.append(_target(name, r["added_p50_ms"], 1.0, "ms", higher=False))
    for database, (on, off) in LOGGING_PAIRS.items():
        costs = []
        for pupils in results.get("plan", {}).get("sizes", []):
            with_log, without = _throughput(results, on, pupils), _throughput(results, off, pupils)
            if with_log and without:
                costs.append((1 - with_log["rps"] / without["rps"], pupils))
        worst = max(costs) if costs else None
        name = f"logging cost, {database}, worst size" + (
            f" ({worst[1]:,} pupil{'s' if worst[1] != 1 else ''})" if worst else ""
        )
        found.append(_target(name, worst[0] * 100 if worst else None, 20.0, "%", higher=False))
        at_100 = next((cost for cost, pupils in costs if pupils == 100), None)
        name = f"logging cost, {database}, 100 pupils (issue #11: evidence log and subject index)"
        found.append(_target(name, at_100 * 100 if at_100 is not None else None, 20.0, "%", False))
    memory = results.get("memory")
    found.append(
        _target(
            f"peak RSS / body, {memory['pupils']:,} pupils" if memory else "peak RSS / body",
            memory["peak_over_body"] if memory else None,
            2.5,
            "x",
            higher=False,
        )
    )
    fair = results.get("fairness")
    found.append(
        _target(
            "added p50 of 1-pupil transfers beside 100,000-pupil syncs",
            fair["added_p50_ms"] if fair else None,
            50.0,
            "ms",
            higher=False,
        )
    )
    return found


def targets_table(results: dict[str, Any]) -> Table:
    rows = []
    for t in results.get("targets", []):
        sign = ">=" if t["higher_is_better"] else "<="
        measured = "-" if t["measured"] is None else f"{t['measured']:.2f}{t['unit']}"
        verdict = {True: "PASS", False: "MISS", None: "n/a"}[t["met"]]
        rows.append((t["name"], measured, f"{sign} {t['limit']:g}{t['unit']}", verdict))
    return "Targets", ("target", "measured", "wanted", "verdict"), rows


def profile_tables(results: dict[str, Any]) -> list[Table]:
    found: list[Table] = []
    for p in results.get("profile", []):
        rows = [
            (f"{own * 100:.1f}%", function, f"{inside * 100:.1f}%", inclusive)
            for (function, own), (inclusive, inside) in zip(p["self"], p["inclusive"], strict=False)
        ]
        title = f"Profile: {LABELS[p['target']]}, {p['pupils']} pupils (py-spy, share of samples)"
        found.append((title, ("self", "function", "inclusive", "function"), rows))
    return found


def tables(results: dict[str, Any]) -> list[Table]:
    return [
        filter_table(results),
        throughput_table(results),
        latency_table(results),
        ceiling_table(results),
        logging_table(results),
        memory_table(results),
        receive_memory_table(results),
        fairness_table(results),
        xml_table(results),
        targets_table(results),
        *profile_tables(results),
    ]


def xml_table(results: dict[str, Any]) -> Table:
    rows = [
        (
            r["case"],
            f"{r['pupils']:,}",
            f"{r['bytes_in'] / MB:.2f}",
            f"{r['bytes_out'] / MB:.2f}",
            f"{r['lxml_ms']:.1f}",
            f"{r['gateway_ms']:.1f}",
            _ratio(r["ratio"]),
            str(r["runs"]),
        )
        for r in results.get("xml", [])
    ]
    header = (
        "case",
        "pupils",
        "in MB",
        "out MB",
        "lxml parse+serialise ms",
        "gateway ms",
        "gateway/lxml",
        "runs",
    )
    title = "6. XML (medians): safe parse, filter, validate, serialise, hash vs plain lxml"
    return title, header, rows


# --- rendering -------------------------------------------------------------------------------


def _numeric(cell: str) -> bool:
    return bool(cell) and (cell[0].isdigit() or cell[0] in "-.") and cell != "-"


def text(table: Table) -> str:
    title, header, rows = table
    if not rows:
        return f"{title}\n  (not run)\n"
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = [title]
    for index, row in enumerate([header, *rows]):
        cells = [
            c.rjust(w) if index and _numeric(c) else c.ljust(w)
            for c, w in zip(row, widths, strict=True)
        ]
        lines.append("  " + "  ".join(cells).rstrip())
        if index == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def markdown(table: Table) -> str:
    title, header, rows = table
    if not rows:
        return f"**{title}**: not run.\n"
    lines = [f"**{title}**", "", "| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join(" ---: " if _numeric(c) else " --- " for c in rows[0]) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def machine_lines(results: dict[str, Any]) -> list[str]:
    facts = {**results.get("machine", {}), **results.get("code", {})}
    return [f"{k.replace('_', ' ')}: {v}" for k, v in facts.items()]
