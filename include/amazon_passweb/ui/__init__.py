"""Operator pages inside the Airflow UI: Amazon accounts ("Sincro Ordini", the
watermark, runs, quota) and Amazon orders. ``app.create_app`` builds the FastAPI
app that ``plugins/amazon_operator_plugin.py`` mounts in Airflow's API server.

The arrows go one way: ``plugin`` builds the app (``app`` does not know the plugin), and
both read the path the pages live under from here."""

MOUNT_PREFIX = "/amazon"
