"""Pure strategy core: standard library only, no I/O, no clock reads, deterministic."""
