"""bmvbot.adapters package."""
