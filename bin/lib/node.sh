# shellcheck shell=bash
# Finding, downloading, verifying and caching the private Node runtime that runs
# traffic-duplicator. Shared by the classic buildpack (bin/compile) and the CNB (bin/build).
# Needs lib/common.sh. Never touches the app's own Node (.heroku/node, PATH).

# Node 22 (maintenance LTS to 2027-04-30): Node 20 reached end of life on 2026-04-30, and
# 22.12+ lets the relay listen with SO_REUSEPORT sockets (cold-start p99, README's bench).
TD_NODE_DEFAULT_VERSION=22.23.3
TD_NODE_DEFAULT_BASE_URL=https://nodejs.org/dist
TD_NODE_MIN_MAJOR=20
TD_NODE_MIN_MINOR=18

# Checksums of the pinned version's official tarballs, from its SHASUMS256.txt.
# Used instead of fetching SHASUMS256.txt, whatever the base URL (a mirror must
# serve the same bytes). Update together with TD_NODE_DEFAULT_VERSION.
td_node_pinned_sha256() {
  case "$1" in
    node-v22.23.3-linux-x64.tar.xz) echo df450af89261115ef9f9e3830c3eeb2cc9213b63c720b1af623cb5dcbe2e02de ;;
    node-v22.23.3-linux-arm64.tar.xz) echo a44aeb94849a299b22df10b9e622ec2f605c2183501bc40590705131de7c740f ;;
    *) return 1 ;;
  esac
}

# td_node_arch [CNB_TARGET_ARCH]: the Node download arch (x64 | arm64).
td_node_arch() {
  local machine=${1:-}
  [[ -n "$machine" ]] || machine=$(uname -m)
  case "$machine" in
    x86_64 | amd64 | x64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) td_die "Unsupported CPU architecture '$machine': traffic-duplicator's buildpack supports x86_64 (amd64) and aarch64 (arm64)." ;;
  esac
}

# td_node_version_ok vX.Y.Z: true when X.Y >= the minimum the tool needs.
td_node_version_ok() {
  local v=${1#v} major minor
  major=${v%%.*}
  minor=${v#*.}
  minor=${minor%%.*}
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  ((major > TD_NODE_MIN_MAJOR || (major == TD_NODE_MIN_MAJOR && minor >= TD_NODE_MIN_MINOR)))
}

# td_node_portable NODE: true when the binary needs nothing beyond the C/C++
# runtime every Heroku/CNB run image has (the official builds), so a copy of it
# keeps working in the slug. Distro builds linked against libnode/libuv do not.
td_node_portable() {
  local node=$1 out line
  command -v ldd >/dev/null 2>&1 || return 1
  out=$(ldd "$node" 2>&1) || {
    [[ "$out" == *"not a dynamic executable"* ]] && return 0
    return 1
  }
  while IFS= read -r line; do
    line=${line#"${line%%[![:space:]]*}"}
    [[ -z "$line" ]] && continue
    [[ "$line" == *"not found"* ]] && return 1
    case "${line%% *}" in
      linux-vdso.so.* | linux-gate.so.* | */ld-linux*.so.* | ld-linux*.so.* | libc.so.* | libm.so.* | libdl.so.* | \
        libpthread.so.* | librt.so.* | libstdc++.so.* | libgcc_s.so.* | libatomic.so.*) ;;
      *) return 1 ;;
    esac
  done <<<"$out"
}

# td_node_reusable BUILD_DIR [EXACT_VERSION]: prints the install prefix of a Node
# already present in the build (the app's .heroku/node from an earlier buildpack,
# or one on PATH) that is new enough, self-contained and comes with npm.
td_node_reusable() {
  local build_dir=$1 exact=${2:-} candidate real prefix version
  local -a candidates=("$build_dir/.heroku/node/bin/node")
  if candidate=$(command -v node 2>/dev/null); then candidates+=("$candidate"); fi
  for candidate in "${candidates[@]}"; do
    [[ -x "$candidate" ]] || continue
    real=$(readlink -f "$candidate") || continue
    prefix=$(cd "$(dirname "$real")/.." && pwd) || continue
    version=$("$real" --version 2>/dev/null) || continue
    td_node_version_ok "$version" || continue
    if [[ -n "$exact" && "$version" != "v${exact#v}" ]]; then continue; fi
    [[ -f "$prefix/lib/node_modules/npm/bin/npm-cli.js" ]] || continue
    td_node_portable "$real" || continue
    printf '%s\n' "$prefix"
    return 0
  done
  return 1
}

# td_node_fetch VERSION ARCH BASE_URL CACHE_DIR: sets TD_NODE_TARBALL to a verified
# tarball in CACHE_DIR/traffic-duplicator/node, downloading it when needed.
td_node_fetch() {
  local version=${1#v} arch=$2 base=${3%/} cache_dir=$4
  local file="node-v$version-linux-$arch.tar.xz"
  local dir="$cache_dir/traffic-duplicator/node"
  local cached="$dir/$file" tmp="$dir/.partial" expected actual
  mkdir -p "$dir"
  if [[ -f "$cached" && -f "$cached.sha256" ]]; then
    # Re-check the cached bytes against the pinned sum, or the one verified at download.
    expected=$(td_node_pinned_sha256 "$file") || expected=$(cat "$cached.sha256")
    if [[ "$(td_sha256 "$cached")" == "$expected" ]]; then
      td_info "Using cached $file (sha256 verified)"
      TD_NODE_TARBALL=$cached
      return 0
    fi
    td_info "Cached $file failed its checksum; downloading it again"
  fi
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if expected=$(td_node_pinned_sha256 "$file"); then
    td_info "Checksum for $file is pinned in the buildpack"
  else
    td_download "$base/v$version/SHASUMS256.txt" "$tmp/SHASUMS256.txt" ||
      td_die "Could not download $base/v$version/SHASUMS256.txt to verify Node $version.
Check TRAFFIC_DUPLICATOR_NODE_VERSION and TRAFFIC_DUPLICATOR_NODE_BASE_URL."
    expected=$(awk -v f="$file" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/SHASUMS256.txt")
    [[ "$expected" =~ ^[0-9a-f]{64}$ ]] ||
      td_die "$base/v$version/SHASUMS256.txt has no sha256 for $file."
  fi
  td_info "Downloading $base/v$version/$file"
  td_download "$base/v$version/$file" "$tmp/$file" ||
    td_die "Could not download Node $version from $base/v$version/$file.
Check TRAFFIC_DUPLICATOR_NODE_VERSION and TRAFFIC_DUPLICATOR_NODE_BASE_URL."
  actual=$(td_sha256 "$tmp/$file")
  if [[ "$actual" != "$expected" ]]; then
    rm -rf "$tmp"
    td_die "Checksum mismatch for $file downloaded from $base:
  expected sha256 $expected
  got      sha256 $actual
The file was discarded. Refusing to install an unverified Node runtime."
  fi
  td_info "Verified sha256 $actual"
  # Keep only the tarball in use, so the cache does not grow with every upgrade.
  find "$dir" -maxdepth 1 -type f -name 'node-v*' -delete
  mv "$tmp/$file" "$cached"
  printf '%s\n' "$actual" >"$cached.sha256"
  rm -rf "$tmp"
  TD_NODE_TARBALL=$cached
}

# shellcheck disable=SC2034 # TD_NODE_PREFIX and TD_NODE_VERSION are read by the caller
# td_node_prepare BUILD_DIR CACHE_DIR ENV_DIR WORK_DIR [CNB_TARGET_ARCH]
# Sets TD_NODE_PREFIX (a Node install with npm, to build and run the tool from)
# and TD_NODE_VERSION (vX.Y.Z). Downloads extract into WORK_DIR.
td_node_prepare() {
  local build_dir=$1 cache_dir=$2 env_dir=$3 work_dir=$4 target_arch=${5:-}
  local want base arch prefix
  want=$(td_config TRAFFIC_DUPLICATOR_NODE_VERSION "$env_dir")
  base=$(td_config TRAFFIC_DUPLICATOR_NODE_BASE_URL "$env_dir")
  base=${base:-$TD_NODE_DEFAULT_BASE_URL}
  arch=$(td_node_arch "$target_arch")
  if [[ -n "$want" && ! "${want#v}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    td_die "TRAFFIC_DUPLICATOR_NODE_VERSION must be an exact version such as 22.23.3 (got '$want')."
  fi
  if [[ -n "$want" ]] && ! td_node_version_ok "$want"; then
    td_die "TRAFFIC_DUPLICATOR_NODE_VERSION=$want is too old: traffic-duplicator needs Node >= $TD_NODE_MIN_MAJOR.$TD_NODE_MIN_MINOR."
  fi
  # A Node that only runs on the build machine's own arch is useless for another target.
  if [[ -z "$target_arch" || "$arch" == "$(td_node_arch)" ]] && prefix=$(td_node_reusable "$build_dir" "$want"); then
    TD_NODE_PREFIX=$prefix
    TD_NODE_VERSION=$("$prefix/bin/node" --version)
    td_info "Reusing Node $TD_NODE_VERSION found at $prefix/bin/node (copying the binary)"
    return 0
  fi
  want=${want:-$TD_NODE_DEFAULT_VERSION}
  want=${want#v}
  TD_NODE_TARBALL=
  td_node_fetch "$want" "$arch" "$base" "$cache_dir"
  tar -xJf "$TD_NODE_TARBALL" -C "$work_dir" ||
    td_die "Could not extract $TD_NODE_TARBALL (is xz installed?)."
  prefix="$work_dir/node-v$want-linux-$arch"
  [[ -x "$prefix/bin/node" ]] || td_die "$TD_NODE_TARBALL does not contain node-v$want-linux-$arch/bin/node."
  TD_NODE_PREFIX=$prefix
  TD_NODE_VERSION="v$want"
  td_info "Installed Node $TD_NODE_VERSION ($arch)"
}
