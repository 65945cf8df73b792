# Sourced by scripts/up and scripts/test: brings a fresh Debian/Ubuntu machine to the point
# where the workspace builds, installing only what is missing, then hands over to the
# TypeScript commands in packages/stack/src/cli.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PNPM_VERSION=12.4.2
# Debian keeps nginx in /usr/sbin, which is not on a normal user's PATH.
export PATH="$PATH:/usr/sbin"

log() { printf '==> %s\n' "$*" >&2; }

ensure_node() {
  if ! command -v node >/dev/null 2>&1; then
    log "Node.js 20 (>= 20.18) is required: install it first (e.g. from NodeSource), then re-run"
    exit 1
  fi
}

# redis-server and nginx come from the OS packages; only root can install them.
ensure_os_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v nginx >/dev/null 2>&1 || missing+=(nginx)
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    log "missing ${missing[*]}: run 'sudo apt-get install ${missing[*]}' (or run this as root)"
    exit 1
  fi
}

ensure_pnpm() {
  if ! command -v pnpm >/dev/null 2>&1; then
    log "installing pnpm@$PNPM_VERSION"
    npm install -g "pnpm@$PNPM_VERSION"
  fi
}

install_and_build() {
  log "pnpm install --frozen-lockfile"
  (cd "$REPO_ROOT" && pnpm install --frozen-lockfile)
  log "pnpm build (tsc -b and the tools' typechecks: compiles and type-checks every package)"
  (cd "$REPO_ROOT" && pnpm build)
}

bootstrap() {
  ensure_node
  ensure_os_packages
  ensure_pnpm
  install_and_build
}

# Runs packages/stack/src/cli/<name>.ts from the repository root (TypeScript through tsx).
run_stack_cli() {
  local name="$1"
  shift
  cd "$REPO_ROOT"
  exec node --import tsx --conditions=ludic-source "packages/stack/src/cli/$name.ts" "$@"
}
