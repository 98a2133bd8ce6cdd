/**
 * Online response comparison (`--compare`): production's answer (from the tap) against each
 * candidate's (from its HTTP output), per endpoint and field, with noise told apart.
 * Loaded only when --compare is on (see engine/mirror-engine.ts).
 */
export type {
  CompareCount,
  CompareReport,
  Comparison,
  DestinationReport,
  DiffKind,
  EndpointReport,
  FieldReport,
  FieldSample,
  Percentiles,
  UnpairedReason,
  Verdict,
} from './types.js';
