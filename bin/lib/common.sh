# shellcheck shell=bash
# Shared helpers for the traffic-duplicator buildpack (classic bin/compile and CNB bin/build).
# Sourced, never executed. Callers run with `set -euo pipefail`.

# Output in the style Heroku's own buildpacks use: a topic arrow, detail lines
# indented by 7 spaces, and errors/warnings on stderr behind " !     ".
td_topic() { printf -- '-----> traffic-duplicator: %s\n' "$*"; }
td_info() { printf '       %s\n' "$*"; }
td_warn() {
  local line
  printf '\n' >&2
  while IFS= read -r line; do printf ' !     %s\n' "$line" >&2; done <<<"$*"
  printf '\n' >&2
}
td_error() {
  local line
  printf '\n' >&2
  while IFS= read -r line; do printf ' !     %s\n' "$line" >&2; done <<<"$*"
  printf '\n' >&2
}
td_die() {
  td_error "$@"
  exit 1
}

# Indent a command's output as detail lines (blank lines dropped).
td_indent() { sed -e '/^[[:space:]]*$/d' -e 's/^/       /'; }

# td_config NAME ENV_DIR: a config var's value. The env dir (classic ENV_DIR or
# CNB <platform>/env) wins over the process environment; empty when unset.
td_config() {
  local name=$1 env_dir=${2:-}
  if [[ -n "$env_dir" && -f "$env_dir/$name" ]]; then
    cat "$env_dir/$name"
  else
    printf '%s' "${!name:-}"
  fi
}

# td_sha256 FILE: the lowercase hex sha256 of FILE.
td_sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    td_die "Neither sha256sum nor shasum is available to verify downloads."
  fi
}

# td_download URL FILE: fetch URL to FILE, failing on HTTP errors.
td_download() {
  local url=$1 out=$2
  command -v curl >/dev/null 2>&1 || td_die "curl is required to download $url"
  curl --fail --silent --show-error --location --retry 3 --retry-delay 1 \
    --connect-timeout 10 --max-time 600 --output "$out" "$url"
}
