"""`python -m bot` does what the `lotse` command does."""
from bot.cli import main

raise SystemExit(main())
