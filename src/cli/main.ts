#!/usr/bin/env -S node --max-semi-space-size=1 --max-old-space-size=256
// traffic-duplicator: wrapper (`-- CMD`), sidecar (`--listen --upstream`) or replay (`--input-file`).
import { run } from './run.js';

process.exitCode = await run('traffic-duplicator', process.argv.slice(2));
// Outputs and relays are closed by now; don't wait for stray timers or sockets.
process.exit();
