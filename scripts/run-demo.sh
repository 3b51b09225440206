#!/usr/bin/env bash
# Installs what is missing, builds, and starts the server on the embedded store with the demo
# catalog at http://127.0.0.1:8080 (data in ./boxoffice-data). Extra arguments go to `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target boxoffice
exec ./build/boxoffice serve --demo "$@"
