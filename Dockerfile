# syntax=docker/dockerfile:1
# Mizan: one image for every process (api, worker, beat, migrate); the command picks the role.
# Build: docker build -t mizan .    Run: docker compose up (see docs/deploy.md)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: resolve and install the package and its dependencies into a virtualenv -----------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/mizan
# Every dependency ships binary wheels for this platform, so the build stage needs no
# compiler either; should one ever be needed, it belongs here and never in the final stage.
COPY pyproject.toml README.md ./
COPY service ./service
COPY worker ./worker
COPY models ./models
COPY migrations ./migrations
RUN /opt/mizan/bin/pip install --no-cache-dir --no-compile . \
 && /opt/mizan/bin/python -m compileall -q /opt/mizan/lib

# --- runtime: the virtualenv only, run as an unprivileged user ---------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/mizan/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MIZAN_MODE=production \
    MIZAN_DATA_DIR=/var/lib/mizan \
    MIZAN_HOST=0.0.0.0 \
    MIZAN_PORT=8000
RUN groupadd --system --gid 10001 mizan \
 && useradd --system --uid 10001 --gid mizan --home-dir /var/lib/mizan \
      --shell /usr/sbin/nologin mizan \
 && install -d -o mizan -g mizan -m 0700 /var/lib/mizan /var/lib/mizan/models
COPY --from=build /opt/mizan /opt/mizan
USER 10001:10001
WORKDIR /var/lib/mizan
EXPOSE 8000
# Health of whatever role this container runs (api: /healthz answers; worker: it answers a ping
# with its database and model; beat: it keeps sending the sweep). Readiness for a load balancer
# is GET /readyz.
HEALTHCHECK --interval=30s --timeout=20s --start-period=60s --retries=3 \
  CMD ["mizan", "healthcheck"]
ENTRYPOINT ["mizan"]
CMD ["api"]
