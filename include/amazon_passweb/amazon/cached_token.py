"""A token shared by threads and kept until shortly before it expires: the LWA access token and
the Restricted Data Token both live this way."""

from __future__ import annotations

import threading
from collections.abc import Callable

# Obtain a new token this long (Amazon seconds) before the old one would expire.
EXPIRY_MARGIN = 60.0


class CachedToken:
    """``_obtain`` returns a new token and its lifetime in Amazon seconds; ``time_scale`` maps those
    to this process's clock (1 in production, more against a sped-up stand-in)."""

    def __init__(self, clock: Callable[[], float], time_scale: float) -> None:
        self._clock = clock
        self._time_scale = time_scale
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def access_token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                token, lifetime_s = self._obtain()
                lifetime = lifetime_s / self._time_scale
                self._token = token
                self._expires_at = self._clock() + lifetime - min(EXPIRY_MARGIN / self._time_scale, lifetime / 10)
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (Amazon said it expired) unless another thread already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _obtain(self) -> tuple[str, float]:
        raise NotImplementedError
