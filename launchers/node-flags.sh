# shellcheck shell=sh
# The node options for a Node version, in shell: the rule of src/cli/node-flags.ts (which
# says why each one is there), kept in step with it by test/cli/node-flags.test.ts.
# Node refuses to start with a V8 option its V8 doesn't know, so the tier-up budget is
# passed only to Node 20 and 21 (V8 11); V8 12 (Node 22) and later reject it.
#
# td_node_flags VERSION   prints the options for VERSION (v20.19.5 or 20.19.5).
td_node_flags() {
  td_major=${1#v}
  td_major=${td_major%%.*}
  if [ "$td_major" -le 21 ] 2>/dev/null; then
    echo "--max-semi-space-size=1 --interrupt-budget=270336"
  else
    echo "--max-semi-space-size=1"
  fi
}
