"""Operations: what keeps a running Lotse healthy and its content live, apart from the conversation.

`lotse doctor` (`doctor.py`), content gaps (`gaps.py`), the retention job (`retention.py`), the
live content (`content_store.py`, `content_watch.py`, `content_cache.py`), the pid file for
reloads (`pidfile.py`), the counters `/metrics` shows (`metrics.py`) and the PO export/import
commands (`translation_commands.py`), and aiogram's models built on first use instead of at
import (`lazy_models.py`, installed by `bot/__init__.py`)."""
