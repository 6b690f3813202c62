"""The business rules of an Amazon order on its way to the gestionale, in one place.

Pure functions and enums: no I/O, no adapter (amazon, site, gestionale, notify, ui), no Airflow,
SQLAlchemy or cryptography. Adapters and the importer call these rules; nothing here calls them.
See README.md for which rule lives in which module.
"""
