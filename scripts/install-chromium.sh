#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (tests/ui); does nothing when it is already there.
# Playwright drives this binary through executable_path: `playwright install` is never needed.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium
