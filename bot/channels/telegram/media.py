"""Files in the messages people and counsellors send, as the file id another chat can be sent
(`calls.send_media`)."""
from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import PhotoSize


def largest_photo(sizes: Sequence[PhotoSize]) -> str:
    """The file id of a photo's largest size (Telegram sends several)."""
    return max(sizes, key=lambda p: (p.width * p.height, p.file_size or 0)).file_id
