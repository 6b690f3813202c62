"""A unit of work used outside its ``with`` block fails with a clear error, even under ``python -O``
(which strips ``assert`` statements: the check is an explicit one)."""

import subprocess
import sys

import pytest

from amazon_passweb.site import SiteStore
from amazon_passweb.site.errors import StoreError

OUTSIDE = "unit of work used outside its with block"


def test_a_finished_unit_of_work_refuses_to_commit_or_roll_back(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.commit()  # inside the block: commits and goes on in a new transaction
        uow.rollback()
    for late_call in (uow.commit, uow.rollback):
        with pytest.raises(StoreError, match=OUTSIDE):
            late_call()
    with pytest.raises(StoreError, match=OUTSIDE):
        store.unit_of_work().commit()  # never entered


def test_the_check_survives_optimised_bytecode(tmp_path, pii_key_in_env: str) -> None:
    script = (
        "from amazon_passweb.site.errors import StoreError\n"
        "from amazon_passweb.site.unit_of_work import open_site_store\n"
        f"store = open_site_store('sqlite:///{tmp_path / 'site.db'}', upgrade=True)\n"
        "try:\n"
        "    store.unit_of_work().commit()\n"
        "except StoreError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-O", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == OUTSIDE  # after whatever logging the import prints
