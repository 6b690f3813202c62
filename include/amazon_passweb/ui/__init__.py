"""Operator pages inside the Airflow UI: Amazon accounts ("Sincro Ordini", the
watermark, runs, quota) and Amazon orders. ``app.create_app`` builds the FastAPI
app that ``plugins/amazon_operator_plugin.py`` mounts in Airflow's API server."""
