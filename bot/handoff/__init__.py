"""Handoff to a human counsellor: cases, their notes, the relay, and the outbox to the staff group."""
