# shellcheck shell=sh
# The node options for a Node version, in shell: the rule of src/cli/node-flags.ts (which
# says why each one is there), kept in step with it by test/cli/node-flags.test.ts.
# Node refuses to start with a V8 option its V8 doesn't know, so the tier-up option differs:
# the interrupt budget for Node 20 and 21 (V8 11, rejected by V8 12), an invocation count for
# Node 22 (V8 12.4), none for later versions (measured to save nothing on Node 24).
#
# td_node_flags VERSION   prints the options for VERSION (v20.19.5 or 20.19.5).
td_node_flags() {
  td_major=${1#v}
  td_major=${td_major%%.*}
  if [ "$td_major" -le 21 ] 2>/dev/null; then
    echo "--max-semi-space-size=1 --max-old-space-size=256 --interrupt-budget=270336"
  elif [ "$td_major" -eq 22 ]; then
    echo "--max-semi-space-size=1 --max-old-space-size=256 --invocation-count-for-turbofan=12000"
  else
    echo "--max-semi-space-size=1 --max-old-space-size=256"
  fi
}
