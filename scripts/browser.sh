#!/usr/bin/env bash
# Make sure a Chromium binary exists for the dashboard's browser tests (tests/monitor/test_browser.py).
# Playwright's own browser download needs the internet; Debian's chromium package works offline from a
# mirror. Without root or apt the tests skip themselves, so this never fails the test run.
set -uo pipefail
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then exit 0; fi
done
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "browser.sh: installing Debian's chromium for the dashboard tests" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2 \
        || echo "browser.sh: could not install chromium; the browser tests will be skipped" >&2
else
    echo "browser.sh: no chromium and no root/apt; the browser tests will be skipped" >&2
fi
exit 0
