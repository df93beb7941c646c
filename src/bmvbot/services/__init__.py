"""bmvbot.services package."""
