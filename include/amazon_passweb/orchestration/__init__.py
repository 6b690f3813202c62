"""Airflow wiring shared by the thin files in ``dags/``: DAG factories, no business logic."""
