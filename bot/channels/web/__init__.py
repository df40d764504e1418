"""The counsellors' web workspace: a second staff channel on the same cases (aiohttp in the bot's
process and event loop, server-rendered Jinja2 pages, vendored htmx with its SSE extension)."""
