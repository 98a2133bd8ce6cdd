#!/usr/bin/env -S node --max-semi-space-size=1 --max-old-space-size=256
// start-traffic-duplicator CMD ARGS...: the Procfile drop-in of the old buildpack.
// Every argument is the app's command; options come from config/gor.options.
import { run } from './run.js';

process.exitCode = await run('start-traffic-duplicator', process.argv.slice(2));
process.exit();
