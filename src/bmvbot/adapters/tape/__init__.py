"""Tape v1 replay adapter: CSV loader, indexed L2 book and the queue-position fill model.

``CsvTapeSource.load(path, tick, lot)`` parses a tape (``loader``); ``open_market`` indexes
its book (``book.TapeBook``) and returns a ``NumpyTapeMarket`` (``market``) implementing the
``bmvbot.ports.tape.TapeMarket`` port.
"""
