"""Lotse: a multilingual chat assistant for county integration-counselling hotlines.

Importing the package builds aiogram's models on first use instead of at import, before anything
imports aiogram (bot/ops/lazy_models.py)."""
from bot.ops import lazy_models

lazy_models.install()
