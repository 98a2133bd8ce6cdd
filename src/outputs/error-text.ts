/** An exception as a short log value: its message, cut at 200 characters (one log line stays one line's worth). */
export function errorText(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.length > 200 ? m.slice(0, 200) + '…' : m;
}
