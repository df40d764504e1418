"""The Telegram channel (aiogram 3): routers, rendering, sending, polling and webhook serving."""
