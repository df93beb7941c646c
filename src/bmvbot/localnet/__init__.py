"""bmvbot.localnet package."""
