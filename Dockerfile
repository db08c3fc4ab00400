# The game server image: the buzzer bundle built with npm, the Python app, the
# pinned Datastar bundle, Hypercorn as a non-root user. docker-compose.yml runs
# it as the `app` service; alone: docker run -e REDIS_URL=redis://… -p 8000:8000
#
# Environment: WORKERS (Hypercorn worker processes, default 1), BIND (the
# address Hypercorn binds; the app reads it too and, since it is not loopback,
# refuses a SECRET_KEY shorter than 32 bytes) and the game's settings, read by
# game/config.py (REDIS_URL, SECRET_KEY, ...). With no SECRET_KEY the app
# generates one into /app/instance: mount a volume there to keep it.

# --- the <reflex-buzzer> bundle and the tutorial's own buzzer (Lit + esbuild, as in scripts/setup.sh)
FROM node:20-slim AS buzzer
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY components ./components
RUN npm run build
COPY tutorial/06_buzzer/buzzer.js ./tutorial/06_buzzer/
RUN npm run build:tutorial

# --- the Python wheels (PyICU compiles against ICU's headers; the app needs none) --
FROM python:3.11-slim AS wheels
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ pkg-config libicu-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt ./
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

# --- the app -----------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BIND=0.0.0.0:8000 \
    WORKERS=1
WORKDIR /app

# ICU's runtime library, the one libicu-dev in the wheels stage depends on (both
# stages start from the same image, so the versions match: libicu76 on trixie).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       "$(apt-cache depends libicu-dev | sed -n 's/^ *Depends: \(libicu[0-9][0-9]*\)$/\1/p')" \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt ./
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels -r requirements.txt

# Fetched at build time, never committed: the script checks the bundle's hash.
COPY scripts/fetch_datastar.py scripts/
RUN python scripts/fetch_datastar.py

COPY app.py ./
COPY game ./game
# The tutorial: each chapter's folder, mounted at /tutorial/<n> (chapter 6 with its built buzzer).
COPY tutorial ./tutorial
COPY templates ./templates
COPY static ./static
# The tutorial's source panel shows the game's buzzer (chapter 7), read from this file.
COPY components ./components
COPY --from=buzzer /build/static/build ./static/build
COPY --from=buzzer /build/tutorial/06_buzzer/static/build ./tutorial/06_buzzer/static/build

# The code stays root-owned and read-only to the server; only instance/ (a
# generated SECRET_KEY when none is given) is writable. A new named volume
# mounted there (docker-compose.yml) starts as a copy of it, owner included.
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin game \
    && mkdir instance && chown game:game instance
USER game

EXPOSE 8000
# Liveness only; compose's own healthcheck asks /readyz (Redis reachable).
# No curl in the slim image: Python asks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"

# Shell form for ${BIND} and ${WORKERS}; exec makes Hypercorn PID 1, so `docker stop`'s
# SIGTERM reaches it. Open streams get 5 s to end, then close; the browsers
# reconnect through the proxy to another replica.
CMD exec hypercorn --bind "${BIND}" --workers "${WORKERS}" --graceful-timeout 5 \
    --access-logfile - "app:create_app()"
