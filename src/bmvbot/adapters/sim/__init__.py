"""bmvbot.adapters.sim package."""
