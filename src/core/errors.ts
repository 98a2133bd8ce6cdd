/**
 * Errors the user can fix. One class with a stable code (as undici's UND_ERR_*), so the
 * CLI can print `error: <message>` with the hint and exit 2 without a stack trace.
 */
export type UsageErrorCode =
  | 'TD_UNKNOWN_FLAG'
  | 'TD_UNSUPPORTED_FLAG'
  | 'TD_BAD_VALUE'
  | 'TD_MISSING_VALUE'
  | 'TD_OPTIONS_FILE'
  | 'TD_MISSING_PORT'
  | 'TD_BAD_USAGE';

export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    readonly code: UsageErrorCode,
    message: string,
    /** What to do about it, printed on its own line. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Exit status for bad input (as gor and most CLIs: 2 = usage). */
export const EXIT_USAGE = 2;
