"""bmvbot.cli package."""
