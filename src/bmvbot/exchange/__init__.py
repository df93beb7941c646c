"""bmvbot.exchange package."""
