"""The service layer: one person's event through the engine and what it records.

`conversation.py` runs an event (load the state, step the pure engine, save, carry out the
effects), `replay.py` keeps the replay record so a redelivered update is answered again
instead of run twice, `usage.py` writes the anonymous usage figures. Channels call in here; the
engine in `bot/core` stays pure."""
