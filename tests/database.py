"""Reading a test's database directly, in plain SQL that SQLite and PostgreSQL both understand."""
from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text

from bot.storage.repository import Storage


async def rows(storage: Storage, sql: str) -> list[tuple[Any, ...]]:
    async with storage.session() as session:
        return [tuple(row) for row in await session.execute(text(sql))]


async def tables(storage: Storage) -> dict[str, list[str]]:
    """Every table's column names, as the database describes them."""
    async with storage.engine.connect() as connection:
        return await connection.run_sync(lambda sync: {
            table: [column["name"] for column in inspect(sync).get_columns(table)]
            for table in inspect(sync).get_table_names()})
