# shellcheck shell=bash
# Building traffic-duplicator itself from the buildpack's own source (the
# directory that contains bin/), with production dependencies only in the result.
# Needs lib/common.sh.

# Files of the buildpack source that go into the build; their contents key the cache.
TD_TOOL_SOURCES=(package.json package-lock.json tsconfig.json tsconfig.build.json src)

# td_tool_version SRC_DIR: the package version from package.json.
td_tool_version() {
  sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$1/package.json" | head -n1
}

# td_tool_key SRC_DIR: a digest of every source file that affects the build.
td_tool_key() {
  local src=$1 entry
  (
    cd "$src" || exit 1
    for entry in "${TD_TOOL_SOURCES[@]}"; do
      if [[ -e "$entry" ]]; then find "$entry" -type f -print; fi
    done | LC_ALL=C sort | while IFS= read -r entry; do
      printf '%s %s\n' "$(td_sha256 "$entry")" "$entry"
    done
  ) | sha256sum | cut -c1-16
}

# td_npm NODE_PREFIX CACHE_DIR ARGS...: npm from NODE_PREFIX, with a cache under
# CACHE_DIR, and none of the app's npm/NODE settings leaking in.
td_npm() {
  local prefix=$1 cache_dir=$2
  shift 2
  env -u NODE_ENV -u NODE_OPTIONS -u NPM_CONFIG_PRODUCTION -u npm_config_production \
    PATH="$prefix/bin:$PATH" \
    npm_config_cache="$cache_dir/traffic-duplicator/npm" \
    npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false \
    "$prefix/bin/node" "$prefix/lib/node_modules/npm/bin/npm-cli.js" "$@"
}

# td_tool_install SRC_DIR DEST_DIR CACHE_DIR NODE_PREFIX WORK_DIR
# Puts dist/, package.json and production node_modules in DEST_DIR. A build of the
# same source is reused from CACHE_DIR/traffic-duplicator/tool/<key>.
td_tool_install() {
  local src=$1 dest=$2 cache_dir=$3 prefix=$4 work=$5
  local key cache_root cached build entry
  key=$(td_tool_key "$src")
  cache_root="$cache_dir/traffic-duplicator/tool"
  cached="$cache_root/$key"
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  if [[ -f "$cached/.complete" ]]; then
    td_info "Using cached build $key"
    cp -a "$cached" "$dest"
    rm -f "$dest/.complete"
    return 0
  fi
  [[ -f "$src/package-lock.json" ]] || td_die "The buildpack source at $src has no package-lock.json."
  build="$work/tool-build"
  mkdir -p "$build"
  for entry in "${TD_TOOL_SOURCES[@]}"; do
    if [[ -e "$src/$entry" ]]; then cp -R "$src/$entry" "$build/"; fi
  done
  td_info "Installing build dependencies"
  (cd "$build" && td_npm "$prefix" "$cache_dir" ci --include=dev --ignore-scripts --prefer-offline --no-progress --loglevel=error) 2>&1 | td_indent ||
    td_die "npm ci failed while building traffic-duplicator."
  td_info "Compiling TypeScript"
  (cd "$build" && td_npm "$prefix" "$cache_dir" run build --silent) 2>&1 | td_indent ||
    td_die "npm run build failed while building traffic-duplicator."
  [[ -f "$build/dist/cli/start.js" && -f "$build/dist/cli/main.js" ]] ||
    td_die "The build produced no dist/cli/start.js and dist/cli/main.js; this buildpack version is broken."
  td_info "Pruning to production dependencies"
  (cd "$build" && td_npm "$prefix" "$cache_dir" prune --omit=dev --ignore-scripts --no-progress --loglevel=error) 2>&1 | td_indent ||
    td_die "npm prune failed while building traffic-duplicator."
  mkdir -p "$dest"
  cp -R "$build/dist" "$build/package.json" "$dest/"
  if [[ -d "$build/node_modules" ]]; then
    # prune leaves empty scope folders (@types/, .bin/) behind
    find "$build/node_modules" -mindepth 1 -type d -empty -delete
    cp -R "$build/node_modules" "$dest/"
  fi
  if [[ -f "$src/LICENSE" ]]; then cp "$src/LICENSE" "$dest/"; fi
  # Cache only this build; older keys are dropped.
  rm -rf "$cache_root"
  mkdir -p "$cache_root"
  cp -a "$dest" "$cached"
  touch "$cached/.complete"
}
