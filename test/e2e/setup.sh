#!/bin/sh
# One-time set-up for the code-server end-to-end test, cached outside the repository (see
# /work/shared/recipes/vscode-e2e.md): Chromium from Debian, Node 24 (code-server needs it) and code-server.
# Idempotent: every step is skipped when its result is already there.
set -eu
CACHE=${LOCKSMITH_E2E_CACHE:-$HOME/.cache/locksmith-e2e}
CODE_SERVER_VERSION=4.139.1
mkdir -p "$CACHE/node24" "$CACHE/cs"
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libkrb5-dev pkg-config chromium >/dev/null
fi
N24="$CACHE/node24/node_modules/node/bin"
if [ ! -x "$N24/node" ]; then
  npm install --prefix "$CACHE/node24" --no-audit --no-fund node@24 >/dev/null
fi
CS="$CACHE/cs/node_modules/code-server"
if [ ! -f "$CS/.locksmith-postinstall-done" ]; then
  PATH="$N24:$PATH" npm install --prefix "$CACHE/cs" --no-audit --no-fund --ignore-scripts code-server@$CODE_SERVER_VERSION >/dev/null
  (cd "$CS" && PATH="$N24:$PATH" npm_config_user_agent="npm/11 node/v24 linux x64" sh ./postinstall.sh >/dev/null)
  touch "$CS/.locksmith-postinstall-done"
fi
echo "$CACHE"
