"""Errors the store raises for the importer to handle (one order fails, the batch goes on)."""


class StoreError(Exception):
    pass


class UnidentifiableBuyer(StoreError):
    """Neither a usable email nor enough data for the fallback identity."""


class ImportAlreadyRunning(StoreError):
    def __init__(self, account: str) -> None:
        super().__init__(f"an import of account {account!r} is already running; wait for it to finish")
        self.account = account


class SyncAlreadyRunning(StoreError):
    def __init__(self, sync_type: str) -> None:
        super().__init__(f"cannot start a {sync_type} sync: a changed or total sync is already running")
        self.sync_type = sync_type


class StateConflict(StoreError):
    """An order is not in the state the caller expected (someone else moved it)."""


class NotFound(StoreError):
    pass
