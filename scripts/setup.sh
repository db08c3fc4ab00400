#!/usr/bin/env bash
# Install what the game needs (idempotent): a Python virtualenv with the pinned
# packages, the buzzer bundle built with npm, and the pinned Datastar bundle.
# With --dev, also what the tests need: test packages, redis-server, Chromium,
# nginx (the proxy of the compose topology, run by the tests without Docker).
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[[ "${1:-}" == "--dev" ]] && dev=1

apt_install() {  # install these Debian packages, if any
  if (($#)); then
    echo "Installing $* from Debian's packages…"
    apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
  fi
}

need_apt() {  # install Debian packages whose command is missing (pairs command:package)
  local missing=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  apt_install "${missing[@]}"
}

need_apt npm:npm pkg-config:pkg-config g++:g++
# PyICU (game/names.py: invisible characters, look-alike names) compiles against ICU's headers.
pkg-config --exists icu-i18n || apt_install libicu-dev
[[ -x .venv/bin/python ]] || python3 -m venv .venv
requirements=requirements.txt
((dev)) && requirements=requirements-dev.txt
extra=()  # with --dev, the benchmark's packages too (python -m bench, tests/test_bench_smoke.py)
((dev)) && extra=(-r requirements-bench.txt)
stamp=".venv/.installed-$(sha256sum "$requirements" requirements.txt requirements-bench.txt | sha256sum | cut -c1-16)"
if [[ ! -e "$stamp" ]]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements" "${extra[@]}"
  touch "$stamp"
fi

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
fi
npm run --silent build
npm run --silent build:tutorial  # chapter 6's own buzzer, with Lit (tutorial/06_buzzer/)
.venv/bin/python scripts/fetch_datastar.py

if ((dev)); then
  need_apt redis-server:redis-server chromium:chromium nginx:nginx
fi
