/**
 * The --compare* flags (issue 9), one block so the flag table stays easy to merge. Values are
 * checked here (exit 2 naming the flag); how they combine is checked in checkCompare().
 */
import type { Config, ConfigDraft } from './config.js';
import type { FlagSpec } from './flags.js';
import { UsageError } from '../core/errors.js';
import { ValueError, parseHttpOutput, sizeType, stringType, type ValueType } from './values.js';
import { FIELD_PATH_HINT, fieldPathProblem, parseRoutePattern, parseSamplePercent, type RoutePattern } from '../compare/syntax.js';

const fieldPathType: ValueType<string> = {
  name: 'path',
  example: 'body.items[*].updated_at',
  parse(raw) {
    const p = raw.trim();
    const problem = fieldPathProblem(p);
    if (problem) throw new ValueError(`"${raw}" is ${problem === 'not a field path' ? 'not a field path' : `not a field path: ${problem}`}`, FIELD_PATH_HINT);
    return p;
  },
};

const routeType: ValueType<RoutePattern> = {
  name: 'pattern',
  example: "'/orders/:id/items'",
  parse(raw) {
    try {
      return parseRoutePattern(raw);
    } catch (err) {
      throw new ValueError(`"${raw}" is not a route pattern: ${(err as Error).message}`, "e.g. '/orders/:id/items' (literal segments and :name parameters)");
    }
  },
};

const percentType: ValueType<number> = {
  name: 'percent',
  example: '10%',
  parse(raw) {
    try {
      return parseSamplePercent(raw);
    } catch (err) {
      throw new ValueError((err as Error).message, 'e.g. --compare-sample 10% compares one request in ten');
    }
  },
};

const reportType: ValueType<string> = {
  name: 'file',
  example: 'compare.html',
  parse(raw) {
    const f = stringType('compare.json').parse(raw).trim();
    if (!/\.(json|html?)$/i.test(f)) throw new ValueError(`"${raw}" is neither a .json nor an .html file`, 'the extension picks the format: compare.json or compare.html');
    return f;
  },
};

const controlType: ValueType<string> = {
  name: 'url',
  example: 'http://127.0.0.1:5001',
  parse(raw) {
    const out = parseHttpOutput(raw);
    if (out.limit) throw new ValueError(`"${raw}": the control takes no |N or |N% limit`, 'it is sampled with the candidates (--compare-sample)');
    return out.url;
  },
};

const headerOrKeyType: ValueType<string> = {
  name: 'name',
  example: 'password',
  parse(raw) {
    const n = raw.trim();
    if (!/^[^\s"]+$/.test(n)) throw new ValueError(`"${raw}" is not a header name or JSON key`, 'one name per flag, e.g. --compare-redact password');
    return n;
  },
};

/** Dependent flags remember that they were given, so that checkCompare can refuse them without --compare. */
const given = (cfg: ConfigDraft, name: string) => {
  if (!cfg.compare.given.includes(name)) cfg.compare.given.push(name);
};

// The table's FlagSpec is generic per flag; this block is heterogeneous like the table itself.
export function compareFlagSpecs(boolType: ValueType<boolean>): FlagSpec<any>[] {
  const specs: [FlagSpec<boolean>, FlagSpec<string>, FlagSpec<string>, FlagSpec<RoutePattern>, FlagSpec<number>, FlagSpec<number>, FlagSpec<string>, FlagSpec<string>] = [
    {
      name: 'compare',
      type: boolType,
      group: 'compare',
      help: "Compare each --output-http destination's answers with production's, per endpoint and field (see docs/compare.md).",
      apply: (cfg, v) => (cfg.compare.enabled = v),
    },
    {
      name: 'compare-control',
      type: controlType,
      group: 'compare',
      help: "A destination running production's version: mirrored like the others, used only to tell noise from differences.",
      apply: (cfg, v, ctx) => {
        given(cfg, ctx.given);
        cfg.compare.control = v;
      },
    },
    {
      name: 'compare-ignore',
      type: fieldPathType,
      repeatable: true,
      group: 'compare',
      help: 'A field whose differences are shown as ignored, e.g. header.etag, body.meta.generated_at, body.items[*].updated_at.',
      apply: (cfg, v, ctx) => {
        given(cfg, ctx.given);
        cfg.compare.ignore.push(v);
      },
    },
    {
      name: 'compare-route',
      type: routeType,
      repeatable: true,
      group: 'compare',
      help: 'A route template for grouping endpoints, e.g. /orders/:id/items (first match wins; otherwise ids are found automatically).',
      apply: (cfg, v, ctx) => {
        given(cfg, ctx.given);
        cfg.compare.routes.push(v);
      },
    },
    {
      name: 'compare-sample',
      type: percentType,
      default: '100%',
      metavar: 'N%',
      group: 'compare',
      help: 'Share of requests compared, decided once per request (the copies are still sent).',
      apply: (cfg, v, ctx) => {
        if (ctx.source !== 'default') given(cfg, ctx.given);
        cfg.compare.samplePercent = v;
      },
    },
    {
      name: 'compare-max-body',
      type: sizeType,
      default: '1mb',
      group: 'compare',
      help: 'Largest answer compared, before and after removing gzip/deflate/br; larger pairs are counted body_too_large.',
      apply: (cfg, v, ctx) => {
        if (ctx.source !== 'default') given(cfg, ctx.given);
        cfg.compare.maxBodyBytes = v;
      },
    },
    {
      name: 'compare-report',
      type: reportType,
      metavar: 'FILE',
      group: 'compare',
      help: 'Write the report here every stats interval and at exit: FILE.json (for tools) or FILE.html (one self-contained page).',
      apply: (cfg, v, ctx) => {
        given(cfg, ctx.given);
        cfg.compare.reportFile = v;
      },
    },
    {
      name: 'compare-redact',
      type: headerOrKeyType,
      repeatable: true,
      group: 'compare',
      help: 'A header name or JSON key whose values never appear in samples (Authorization, Cookie and Set-Cookie always are redacted).',
      apply: (cfg, v, ctx) => {
        given(cfg, ctx.given);
        cfg.compare.redact.push(v);
      },
    },
  ];
  return specs;
}

/** How the --compare flags combine; run once every flag is applied. Adds the control as an HTTP output. */
export function checkCompare(cfg: Config): void {
  const c = cfg.compare;
  if (!c.enabled) {
    if (c.given.length > 0) throw new UsageError('TD_BAD_USAGE', `${c.given[0]} needs --compare`, 'add --compare to compare the destinations\' answers with production\'s');
    return;
  }
  if (cfg.httpOutputs.length === 0) {
    throw new UsageError('TD_BAD_USAGE', '--compare needs an --output-http destination to compare with production', 'add --output-http URL (the candidate)');
  }
  if (c.control) {
    if (cfg.httpOutputs.some((o) => o.url === c.control)) {
      throw new UsageError('TD_BAD_USAGE', `--compare-control ${c.control} is also an --output-http destination`, 'the control runs production\'s version; the candidates run the new one: give different URLs');
    }
    cfg.httpOutputs.push({ url: c.control });
  }
}
