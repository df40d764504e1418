"""The channel-free core: content model and loader, flow engine, FAQ matcher, i18n helpers.

Nothing in here imports aiogram or SQLAlchemy."""
