#!/usr/bin/env bash
# Install what is needed, then serve the game at http://127.0.0.1:8000.
# Without REDIS_URL the game runs on an embedded in-process Redis (one process).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/hypercorn --bind "${BIND:-127.0.0.1:8000}" --workers "${WORKERS:-1}" "app:create_app()"
