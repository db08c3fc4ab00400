#!/usr/bin/env bash
# Install what is needed, then run every test (the suite starts its own
# redis-server and Hypercorn on free ports, and drives headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
exec .venv/bin/python -m pytest "$@"
