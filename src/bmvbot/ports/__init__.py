"""bmvbot.ports package."""
