export { mulberry32 as rng } from '../helpers/prng.js';
export { createMemoryLogger as memoryLog } from '../../src/telemetry/logger.js';
