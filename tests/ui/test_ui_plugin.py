"""The plugin Airflow loads: thin, valid for Airflow's plugin API, and light for non-API processes."""

from __future__ import annotations

import importlib
import subprocess
import sys

from airflow.api_fastapi.core_api.datamodels.plugins import ExternalViewResponse

from amazon_passweb.ui import plugin
from tests.conftest import ROOT


def test_plugin_registers_the_app_and_two_nav_entries():
    module = importlib.import_module("plugins.amazon_operator_plugin")
    pages = module.AmazonOperatorPlugin
    assert pages.name and pages.fastapi_apps == plugin.FASTAPI_APPS
    (app,) = pages.fastapi_apps
    assert app["url_prefix"] == "/amazon"
    from airflow.api_fastapi.app import RESERVED_URL_PREFIXES

    assert not any(app["url_prefix"].startswith(prefix) for prefix in RESERVED_URL_PREFIXES)
    views = [ExternalViewResponse(**view) for view in pages.external_views]
    assert [(v.href, v.url_route) for v in views] == [
        ("/amazon/accounts", "amazon-accounts"), ("/amazon/orders", "amazon-orders")]


def test_loading_the_plugin_does_not_build_the_pages():
    """Schedulers and workers load plugins too: they must not pay for the routes."""
    check = ("import sys, plugins.amazon_operator_plugin; "
             "assert 'amazon_passweb.ui.app' not in sys.modules; "
             "assert 'airflow.api_fastapi.core_api.security' not in sys.modules")
    subprocess.run([sys.executable, "-c", check], cwd=ROOT, check=True, timeout=120)
