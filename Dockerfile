# The product's Airflow images: the official Airflow 3.3.2 image (Python 3.11, the Python of
# constraints.txt) with the pinned requirements. Two targets:
#   runtime  the product only (requirements.txt; include/, dags/, plugins/): every Airflow
#            component. On Kubernetes, build this target, push it and use it for every Airflow pod.
#   sandbox  runtime + the stand-ins of sandbox/ and their requirements: the local compose demo's
#            Amazon and gestionale stand-ins only.
# docker-compose.yaml builds both. Tests and development tools (requirements-dev.txt) are in neither.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11

FROM ${AIRFLOW_IMAGE} AS runtime

COPY --chown=airflow:0 requirements.txt constraints.txt /opt/airflow/requirements/
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" \
        -r /opt/airflow/requirements/requirements.txt -c /opt/airflow/requirements/constraints.txt

COPY --chown=airflow:0 include/ /opt/airflow/include/
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/

ENV PYTHONPATH=/opt/airflow/include:/opt/airflow \
    AMAZON_ACCOUNTS_FILE=/opt/airflow/include/config/accounts.example.yaml


FROM runtime AS sandbox

# The gestionale stand-in keeps its data here (a named volume in docker-compose.yaml);
# group 0 may write, as everywhere in the official image.
USER root
RUN mkdir -p /data && chown airflow:0 /data && chmod 775 /data
USER airflow

COPY --chown=airflow:0 sandbox/requirements.txt /opt/airflow/requirements/sandbox-requirements.txt
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" \
        -r /opt/airflow/requirements/sandbox-requirements.txt -c /opt/airflow/requirements/constraints.txt

COPY --chown=airflow:0 sandbox/ /opt/airflow/sandbox/
