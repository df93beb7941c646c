"""bmvbot: a market-making engine for OpenBook V2 on Solana."""

__version__ = "0.1.0"
