"""In-memory implementation of the store ports, used by the Simulation Lab and tests."""
