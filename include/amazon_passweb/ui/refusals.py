"""A request the pages refuse, with its status code and the Italian reason shown as it is."""

from __future__ import annotations


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
