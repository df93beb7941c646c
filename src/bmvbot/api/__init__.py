"""bmvbot.api package."""
