"""The highest conto in use is found whatever it is, in a few rounds of searches sent together."""

import pytest
from gestionale_builders import make_settings

from amazon_passweb.gestionale.client import MAX_CONTO, GestionaleClient


@pytest.mark.parametrize("highest", [0, 1, 2, 5, 6, 7, 41, 999, 16_666, 50_000, MAX_CONTO - 1, MAX_CONTO])
def test_the_highest_conto_in_use_is_found_in_seven_rounds_of_searches(highest, monkeypatch):
    client = GestionaleClient(make_settings("http://127.0.0.1:9/webapi/"))  # nothing is sent: searches answered here
    asked: list[int] = []

    def in_use_from(mastro: str, conto: int) -> bool:
        asked.append(conto)
        return conto <= highest

    monkeypatch.setattr(client, "_conto_in_use_from", in_use_from)

    assert client.highest_conto("501") == highest
    assert len(asked) <= 7 * client.settings.max_concurrency
