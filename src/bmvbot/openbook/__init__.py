"""bmvbot.openbook package."""
