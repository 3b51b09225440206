#!/usr/bin/env bash
# Installs the Debian packages boxoffice needs to build, test and benchmark.
# Idempotent: installs only what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libboost1.81-dev libboost-context1.81-dev libsqlite3-dev sqlite3 libsimdjson-dev libsodium-dev
  libssl-dev libspdlog-dev libfmt-dev libcli11-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev python3 wrk curl
  libjemalloc2 libpq-dev libhiredis-dev postgresql-15 redis-server haproxy libnats-dev nats-server
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update
  $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}"
fi
