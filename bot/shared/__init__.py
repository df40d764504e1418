"""What several Lotse instances share: processed updates, person locks and the token buckets of the
rate limits. Each has an in-process implementation (one instance, the default) and a Redis one
(REDIS_URL); `bot.shared.setup` picks them."""
