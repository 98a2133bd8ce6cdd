import type { DestinationGate } from '../engine/destination-gate.js';
import type { Logger } from '../telemetry/logger.js';
import type { ComparisonSource } from './report.js';

export type ControlAction = 'pause' | 'resume' | 'sample' | 'reset';
const ACTIONS: readonly ControlAction[] = ['pause', 'resume', 'sample', 'reset'];

export interface ControlResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * Runtime control, without a restart: pause/resume a destination, change its sample
 * percentage, reset the comparison. Every change is logged `at=control action=… dest=…`
 * so an operator's hand shows in the same log as the drops it causes.
 */
export class Control {
  readonly #gates: readonly DestinationGate[];
  readonly #comparison: ComparisonSource | undefined;
  readonly #log: Logger;

  constructor(deps: { gates: readonly DestinationGate[]; comparison: ComparisonSource | undefined; log: Logger }) {
    this.#gates = deps.gates;
    this.#comparison = deps.comparison;
    this.#log = deps.log;
  }

  /** `params`: action, dest (a destination's name, e.g. its URL), percent (for sample). */
  apply(params: Readonly<Record<string, string | undefined>>, surface: string): ControlResult {
    const action = params.action as ControlAction | undefined;
    if (!action || !ACTIONS.includes(action)) return bad(`action must be one of ${ACTIONS.join(', ')}`);
    if (action === 'reset') {
      if (!this.#comparison?.enabled) return { status: 409, body: { error: 'comparison is off (start with --compare)' } };
      this.#comparison.reset();
      this.#log.info('control', { action, surface });
      return { status: 200, body: { ok: true, action } };
    }
    const known = this.#gates.map((g) => g.name);
    if (!params.dest) return bad(`dest is required; one of: ${known.join(', ') || '(no destinations)'}`);
    // Names are normalised URLs (`http://host:port/`); accept them with or without the slash.
    const wanted = params.dest.replace(/\/+$/, '');
    const gate = this.#gates.find((g) => g.name === params.dest) ?? this.#gates.find((g) => g.name.replace(/\/+$/, '') === wanted);
    if (!gate) return { status: 404, body: { error: `no destination named ${params.dest}`, destinations: known } };
    let percent: number | undefined;
    if (action === 'sample') {
      const raw = (params.percent ?? '').trim().replace(/%$/, '');
      percent = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
      if (!(percent >= 0 && percent <= 100)) return bad(`percent must be a number from 0 to 100, got "${params.percent ?? ''}"`);
      gate.setSamplePercent(percent);
    } else if (action === 'pause') gate.pause();
    else gate.resume();
    this.#log.info('control', { action, dest: gate.name, percent, surface });
    return { status: 200, body: { ok: true, action, ...gate.state } };
  }
}

function bad(error: string): ControlResult {
  return { status: 400, body: { error } };
}
