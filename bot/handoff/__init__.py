"""Handoff to a human counsellor: cases, their notes, the relay, and the outbox that hands them to a
staff channel and to people's (`delivery.py`); no channel's code (no aiogram) in here."""
