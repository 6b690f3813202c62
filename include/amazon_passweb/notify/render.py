"""HTML and plain-text bodies of the emails, from the Jinja2 templates next to this module."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from amazon_passweb.notify.present import build_view
from amazon_passweb.notify.report import ImportReport
from amazon_passweb.notify.sanitize import clean_text

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _finalize(value: Any) -> Any:
    # Second line of defence: whatever a template prints loses its control characters,
    # even a value a future template forgets to take from the cleaned view.
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return clean_text(value)


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template_name: str, **context: Any) -> str:
    return environment().get_template(template_name).render(**context)


def render_report_html(report: ImportReport) -> str:
    view = build_view(report)
    return render("report.html", view=view, subject=view.subject)


def render_report_text(report: ImportReport) -> str:
    return render("report.txt", view=build_view(report))
