/**
 * gor's request-modifier flags, spelled one way everywhere: the name without dashes, as the
 * flag table knows it. config/ turns whatever the user wrote (`--http-x`, `-http-x`, an
 * alias such as `--output-http-header`) into this shape once; pipeline/ compiles it.
 */
export const MODIFIER_FLAG_NAMES = [
  'http-allow-method',
  'http-set-header',
  'http-set-param',
  'http-allow-url',
  'http-disallow-url',
  'http-allow-header',
  'http-disallow-header',
  'http-basic-auth-filter',
  'http-header-limiter',
  'http-param-limiter',
  'http-rewrite-url',
  'http-rewrite-header',
] as const;
export type ModifierFlagName = (typeof MODIFIER_FLAG_NAMES)[number];

export interface ModifierFlag {
  /** Canonical name without dashes, e.g. 'http-set-header' (also for `--output-http-header`). */
  readonly flag: ModifierFlagName;
  /** The raw value, exactly as given, e.g. 'Host: shadow.example.com'. */
  readonly value: string;
  /** Where it came from: 'config/gor.options:3' or 'command line'. */
  readonly source: string;
  /** The name as the user wrote it, e.g. '--output-http-header' (config/ always sets it). */
  readonly given?: string;
}
