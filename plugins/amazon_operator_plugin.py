"""Airflow UI plugin: the operator pages for Amazon accounts and orders (``amazon_passweb.ui``).

The pages are a FastAPI app mounted in Airflow's API server under ``/amazon``
and shown inside the Airflow UI (nav menu "Amazon") through external views.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from amazon_passweb.ui.plugin import EXTERNAL_VIEWS, FASTAPI_APPS


class AmazonOperatorPlugin(AirflowPlugin):
    name = "amazon_operator_pages"
    fastapi_apps = FASTAPI_APPS
    external_views = EXTERNAL_VIEWS
