/**
 * The Node/V8 options every launcher starts traffic-duplicator with (issue 8: we share a
 * 512 MB dyno with the app). They must be on node's command line: V8 sizes its young
 * generation when the heap is created, and the tier-up budget matters during node's own
 * module loading, before any of our code runs; `v8.setFlagsFromString` from our entry was
 * measured and does neither (idle RSS 49.8 MB against 45.8 with the command line). Re-
 * executing node would run two processes.
 *
 * Node rejects a V8 option its V8 doesn't know ("bad option") and does not start at all, so
 * the options depend on the Node version that runs us (tested with 20, 22 and 24):
 *
 * --max-semi-space-size=1  (every supported Node) a 1 MB young generation (V8's default
 *   grows it to 16 MB under load): short-lived copies are collected sooner, peak RSS with two
 *   shadows under wrk dropped from 66 to 61 MB in our measurement, for more (cheap) scavenges.
 *
 * --max-old-space-size=256  (every supported Node) the old-generation limit V8 picks by itself
 *   on a host or cgroup with 512 MB (a quarter of memory, doubled without pointer
 *   compression, never below 256 MB): what we get on a 512 MB dyno anyway, made the same on
 *   every host. It matters on big hosts: with the multi-GB limit V8 picks there, it lets the
 *   old generation grow up to 4× between full GCs, and promoted garbage (copies that waited
 *   in a queue) piled up; at 256 MB its growth factor is 1.3. Measured on a 24 GB host,
 *   Node 20, bench:variants (3 rounds) and the bench's degraded section: peak V8 heap on
 *   keep-alive GETs 23 → 15 MB; peak RSS with one shadow black-holed 85 → 66 MB, with two
 *   healthy shadows 79 → 64 MB; settled idle RSS 45.7–46.0 → 44.7–45.2 MB. Node 22: peak
 *   RSS 110 → 95 MB. Its price is more full GCs: CPU per request within the runs' noise on
 *   GETs, up to ~25% more on 64 KiB POSTs. Everything we hold is bounded far below it (queue
 *   bodies are Buffers, outside V8's heap); TRAFFIC_DUPLICATOR_NODE_OPTIONS (read by every
 *   launcher, after these) can raise it, e.g. for very long queues.
 *
 * --interrupt-budget=270336  (Node 20 and 21 only: V8 11; V8 12, in Node 22, replaced the
 *   interrupt budget with invocation counts and rejects the flag) four times V8's default
 *   (67584 bytes of bytecode) before a function is considered for TurboFan. At startup only
 *   node's own module loader gets hot enough (getPathFromURLPosix, normalizeString, URL's
 *   protocol getter, per module we load) and that first TurboFan use costs ~4 MB resident for
 *   good (compiler zones, code pages): idle RSS with two shadows 52.0 → 47.8 MB. Under load
 *   the hot paths are still optimized, a little later: wrk -c50 10 s side by side,
 *   2088/2404/3044 req/s without, 2205/3001/2511 with (no measurable cost). --no-opt saves the
 *   same at idle but halves throughput (1537 vs 3342 req/s), so it is not used.
 *
 * --invocation-count-for-turbofan=12000  (Node 22 only: V8 12.4) the same idea in V8 12's
 *   terms, four times its default of 3000 calls: idle RSS with two shadows 56.3 → 50.3 MB
 *   (9000 saves nothing: node's loader calls some function ~10,000 times at startup). Under
 *   load (bench:variants on Node 22, two runs of 3 rounds, wrk -c50) req/s keep-alive GETs
 *   −8%/+40%, 64 KiB POSTs −1%/+6%, new-connection GETs −16%/−11%: functions called once per
 *   connection reach TurboFan later (after 12,000 connections instead of 3,000). A 4×
 *   Maglev count saves nothing at idle, so it is left alone. On Node 24 the same option
 *   saves nothing (55.1 vs 54.9 MB), so Node 24 gets only the two heap-size options above.
 *
 * MALLOC_ARENA_MAX=2 was measured too and changed nothing here (idle or under load); as an
 * environment variable it would also leak into the app we spawn, so it is not set.
 *
 * Where they are applied, kept in step by test/cli/node-flags.test.ts:
 *   launchers/node-flags.sh (the same rule in shell), sourced by npm's bins
 *   (launchers/traffic-duplicator, launchers/start-traffic-duplicator) and by the buildpacks
 *   when they write their launchers (bin/compile, bin/build: for the Node they install);
 *   the Dockerfile's launchers (npm's, on its node:22 image); and the bench. Each launcher
 *   appends $TRAFFIC_DUPLICATOR_NODE_OPTIONS after them: node takes the last value of an
 *   option, and NODE_OPTIONS can't override the command line (and would reach the app).
 */

/** Accepted by every Node this project supports (>= 20.18). */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--max-old-space-size=256'];

/** Only where V8 still has the interrupt budget: Node 20 and 21. */
export const V8_11_FLAGS: readonly string[] = ['--interrupt-budget=270336'];

/** Node 22 (V8 12.4), where it was measured to save memory at idle. */
export const NODE_22_FLAGS: readonly string[] = ['--invocation-count-for-turbofan=12000'];

/** The options for the Node of `version` (`process.versions.node`, with or without a leading v). */
export function nodeFlagsFor(version: string = process.versions.node): readonly string[] {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  if (major <= 21) return [...NODE_FLAGS, ...V8_11_FLAGS];
  if (major === 22) return [...NODE_FLAGS, ...NODE_22_FLAGS];
  return NODE_FLAGS;
}
