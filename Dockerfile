# syntax=docker/dockerfile:1
# aiot worker image: `docker build -t aiot:0.1.0 .`, then `docker run aiot:0.1.0 worker`.
# Stage 1 installs the project and its dependencies into a virtualenv; stage 2 is a clean
# python:3.11-slim with only that virtualenv, running as the unprivileged user 10001.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# Compilers only here, for any dependency that ships no wheel for the target platform.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first (cached while only the code changes): install the requirements that
# pyproject.toml declares, then the project itself without touching them again.
COPY pyproject.toml README.md ./
RUN python -m pip install --upgrade pip setuptools wheel \
    && python -c 'import tomllib; deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]; print(*deps, sep=chr(10))' > /tmp/requirements.txt \
    && python -m pip install -r /tmp/requirements.txt
COPY . .
RUN python -m pip install --no-deps . \
    && python -m pip check \
    && aiot --help > /dev/null

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="aiot" \
      org.opencontainers.image.description="Open AIoT stream intelligence on Kafka (Faust worker)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    AIOT_DATA_DIR=/var/lib/aiot \
    AIOT_WEB_HOST=0.0.0.0 \
    AIOT_WEB_PORT=6066 \
    AIOT_CONSOLE_HOST=0.0.0.0
RUN groupadd --system --gid 10001 aiot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/aiot --no-create-home \
       --shell /usr/sbin/nologin aiot \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/aiot
COPY --from=builder /opt/venv /opt/venv
USER 10001:10001
WORKDIR /var/lib/aiot
# RocksDB table state and caches (a PersistentVolumeClaim in Kubernetes).
VOLUME ["/var/lib/aiot"]
# /metrics, /healthz (liveness) and /readyz (readiness); 6070: the console (`aiot console`).
EXPOSE 6066 6070
# For plain Docker only; Kubernetes uses the chart's probes instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('AIOT_WEB_PORT', '6066') + '/healthz', timeout=4)"]
ENTRYPOINT ["aiot"]
CMD ["worker"]
