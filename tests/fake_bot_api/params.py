"""Request parameters as the Bot API accepts them: query string, JSON body, urlencoded or
multipart form. Form values are strings (nested objects as JSON strings), JSON values are typed;
the getters below accept both."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .errors import bad_request


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart request."""

    filename: str
    data: bytes
    content_type: str


class Params:
    """The parameters of one call, with typed getters that fail like the Bot API does."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = {k: v for k, v in values.items() if v is not None}

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def text(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None or isinstance(value, Upload):
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def required_int(self, name: str, missing: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(missing)
        return value

    def flag(self, name: str) -> bool:
        value = self._values.get(name)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    def json(self, name: str) -> Any:
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def file(self, name: str) -> Upload | str | None:
        """An uploaded file (also via "attach://<field>"), or a file_id / URL string."""
        value = self._values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self._values.get(value.removeprefix("attach://"))
        return value if isinstance(value, (Upload, str)) else None

    def record(self) -> dict[str, Any]:
        """The parameters for `FakeBotApi.calls`: JSON strings decoded, uploads summarised."""
        out: dict[str, Any] = {}
        for key, value in self._values.items():
            if isinstance(value, Upload):
                out[key] = f"<upload {value.filename}, {len(value.data)} bytes>"
            elif isinstance(value, str) and value[:1] in "[{":
                try:
                    out[key] = json.loads(value)
                except ValueError:
                    out[key] = value
            else:
                out[key] = value
        return out
