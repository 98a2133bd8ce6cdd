import type { ModifierFlag, ModifierFlagName } from '../../src/core/modifier-flag.js';

/**
 * A modifier flag as gor's docs spell it ('--http-set-header'), in core's one spelling (no
 * dashes), as config/ hands it to the pipeline. Not checked: tests of unknown names use it too.
 */
export function gorFlag(name: string, value: string, source = 'command line'): ModifierFlag {
  return { flag: name.replace(/^--?/, '') as ModifierFlagName, value, source };
}
