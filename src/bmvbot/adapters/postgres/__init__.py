"""bmvbot.adapters.postgres package."""
