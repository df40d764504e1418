"""The Pacer under load: the global limit serves chats in the order they came."""
from __future__ import annotations

import asyncio

from bot.pacing import Pacer


async def test_chats_waiting_for_the_global_limit_go_in_the_order_they_came() -> None:
    pacer = Pacer(per_second=20, per_chat_per_second=100)
    served: list[int] = []

    async def send(chat: int) -> None:
        await pacer.slot(chat)
        served.append(chat)

    waiting = [asyncio.create_task(send(chat)) for chat in range(40)]  # 20 at once, 20 wait
    await asyncio.sleep(0.3)
    later = [asyncio.create_task(send(chat)) for chat in range(100, 110)]
    await asyncio.gather(*waiting, *later)
    assert served == [*range(40), *range(100, 110)]
