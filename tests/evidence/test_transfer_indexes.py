"""The ``transfer`` table's indexes after every migration: those the console's queries use,
and no single-column index that one of them already begins with (migration 0012), since every
transfer's insert and outcome update pays for each index."""

from __future__ import annotations

from tortoise import connections

from gateway import database

WANTED = {
    ("id",),  # unique: the X-Transfer-Id an outcome and a lookup name
    ("supplier", "seq"),
    ("school", "seq"),
    ("outcome", "seq"),
    ("started_at", "supplier", "outcome", "records"),
}


async def _indexed_columns() -> set[tuple[str, ...]]:
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":
        rows = await client.execute_query_dict(
            "SELECT array_agg(a.attname ORDER BY k.n) AS columns FROM pg_index i "
            "JOIN pg_class t ON t.oid = i.indrelid "
            "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
            "WHERE t.relname = 'transfer' AND NOT i.indisprimary GROUP BY i.indexrelid"
        )
        return {tuple(row["columns"]) for row in rows}
    names = await client.execute_query_dict("PRAGMA index_list('transfer')")
    found = set()
    for name in names:
        columns = await client.execute_query_dict(f"PRAGMA index_info('{name['name']}')")
        found.add(tuple(c["name"] for c in sorted(columns, key=lambda c: c["seqno"])))
    return found


async def test_the_transfer_table_has_the_indexes_its_queries_use_and_no_more(
    database_url: str,
) -> None:
    await database.migrate(database_url)
    await database.connect(database_url)
    try:
        assert await _indexed_columns() == WANTED
    finally:
        await database.close()
