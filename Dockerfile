# Fireside's room server in a container, behind Caddy in deploy/compose.yaml:
# docs/deploy.md, In a container. Build from the repository's root: docker build -t fireside .
# The minor version is pinned; a rebuild takes its patch releases and Debian's fixes.
ARG PYTHON_IMAGE=python:3.12-slim

# A wheel made from the source tree, so the image holds the installed package and not the tree.
FROM ${PYTHON_IMAGE} AS wheel
WORKDIR /src
COPY . .
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/fireside/bin:$PATH
# Its own unprivileged user, which owns nothing but /data: made 0700 here, so that a new named
# volume starts with that owner and mode (the rooms are what people wrote to each other).
RUN groupadd --system --gid 10001 fireside \
    && useradd --system --uid 10001 --gid fireside --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin fireside \
    && install -d -o fireside -g fireside -m 0700 /data
COPY --from=wheel /wheels /wheels
# A venv of its own, owned by root: the server can read its code but not change it.
RUN python -m venv /opt/fireside \
    && /opt/fireside/bin/pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels
# By number, so that a runtime can tell it is not root without reading /etc/passwd.
USER 10001:10001
VOLUME /data
EXPOSE 8765
# slim has no curl: Python asks /healthz, which answers 503 while the data cannot be written.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8765/healthz', timeout=4)"]
# --trust-proxy: only Caddy reaches the server in compose (docs/deploy.md, step 3, says why).
# Arguments after the image come after these and win: `--check`, or another `--data`.
ENTRYPOINT ["fireside-server", "--host", "0.0.0.0", "--port", "8765", "--data", "/data", "--trust-proxy", "--log-format", "json"]
