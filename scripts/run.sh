#!/usr/bin/env bash
# Install what is needed, then serve the game at http://127.0.0.1:8000.
# Without REDIS_URL the game runs on an embedded in-process Redis (one process).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The app reads BIND too: bound beyond loopback, it refuses a short SECRET_KEY.
export BIND="${BIND:-127.0.0.1:8000}"
exec .venv/bin/hypercorn --bind "$BIND" --workers "${WORKERS:-1}" "app:create_app()"
