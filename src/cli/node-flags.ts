/**
 * The Node/V8 options every launcher starts traffic-duplicator with (issue 8: we share a
 * 512 MB dyno with the app). They must be on node's command line: V8 sizes its young
 * generation when the heap is created, so `v8.setFlagsFromString` at run time has no
 * effect on it (measured), and re-executing node would run two processes.
 *
 * --max-semi-space-size=1  a 1 MB young generation (V8's default grows it to 16 MB under
 *   load): short-lived copies are collected sooner, peak RSS with two shadows under wrk
 *   dropped from 66 to 61 MB in our measurement, for more (cheap) scavenges.
 *
 * --interrupt-budget=270336  four times V8's default (67584 bytes of bytecode) before a
 *   function is considered for TurboFan. At startup only node's own module loader gets hot
 *   enough (getPathFromURLPosix, normalizeString, URL's protocol getter, per module we
 *   load) and that first TurboFan use costs ~4 MB resident for good (compiler zones, code
 *   pages): idle RSS with two shadows 52.0 → 47.8 MB. Under load the hot paths are still
 *   optimized, a little later: wrk -c50 10 s side by side, 2088/2404/3044 req/s without,
 *   2205/3001/2511 with (no measurable cost). --no-opt saves the same at idle but halves
 *   throughput (1537 vs 3342 req/s), so it is not used.
 *
 * MALLOC_ARENA_MAX=2 was measured too and changed nothing here (idle or under load); as an
 * environment variable it would also leak into the app we spawn, so it is not set.
 *
 * Where they are applied, kept in step by test/cli/node-flags.test.ts:
 *   the shebang of src/cli/main.ts and src/cli/start.ts (npm's bin links),
 *   the launchers written by bin/compile and bin/build, the Dockerfile's, and the bench.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--interrupt-budget=270336'];
