"""Wallet key encryption (AES-256-GCM under a master-derived key) and the wallet vault."""
