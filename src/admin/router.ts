import { isIP } from 'node:net';
import type { Logger } from '../telemetry/logger.js';
import { RateLimitedLog } from '../telemetry/logger.js';
import { authenticate, loginCookie, presentedToken } from './auth.js';
import type { Control } from './control.js';
import type { Metrics } from './metrics.js';
import { renderPage } from './page.js';
import type { AdminReport } from './report.js';
import type { CompareReport } from '../compare/index.js';
import type { LocalPathAnswer, LocalPathRequest } from '../relay/local-path.js';

/**
 * An admin request and its answer, whichever way it came (the --admin-listen server or the
 * relay's admin path): the relay's local-path shapes, so both surfaces share one router.
 */
export type AdminRequest = LocalPathRequest;
export type AdminResponse = LocalPathAnswer;

/**
 * Where the admin surface is reached:
 * - `listen`: our own port (--admin-listen). Open when no token is set; with a token, every
 *   request needs it and a missing/wrong one gets 401 (it is our port, nothing to hide).
 * - `path`: a path on the public port (--admin-path). The token is mandatory and anything
 *   without the right one gets the same plain 404 as any unknown path, so the path's
 *   existence is not advertised to scanners.
 */
export interface Surface {
  readonly kind: 'listen' | 'path';
  /** '' for listen; the --admin-path for path (no trailing slash). */
  readonly prefix: string;
}

export interface AdminRouterDeps {
  token: string | undefined;
  report: () => AdminReport;
  /** Whether --compare is on (then the page carries the comparison's styles). */
  comparing: () => boolean;
  /** The comparison report, undefined when --compare is off (the page's comparison fragment). */
  comparison: () => CompareReport | undefined;
  metrics: () => Promise<Metrics>;
  control: Control;
  log: Logger;
}

/** Admin request bodies are tiny JSON/form documents. */
export const MAX_ADMIN_BODY_BYTES = 64 * 1024;

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export class AdminRouter {
  readonly #deps: AdminRouterDeps;
  readonly #warn: RateLimitedLog;

  constructor(deps: AdminRouterDeps) {
    this.#deps = deps;
    this.#warn = new RateLimitedLog(deps.log, 5000);
  }

  /** Never throws: a bug here answers 500 and is logged, it never reaches the relay. */
  async handle(req: AdminRequest, surface: Surface): Promise<AdminResponse> {
    try {
      return await this.#route(req, surface);
    } catch (err) {
      this.#warn.warn('admin-error', 'admin-error', { message: (err as Error).message });
      return text(500, 'admin error\n');
    }
  }

  async #route(req: AdminRequest, surface: Surface): Promise<AdminResponse> {
    const url = new URL(originFormOf(req.target), 'http://admin.invalid');
    const sub = url.pathname.slice(surface.prefix.length) || '/';
    const token = this.#deps.token;
    if (token === undefined && !addressedByAddress(req.headers.get('host'))) {
      return text(403, 'without TRAFFIC_DUPLICATOR_ADMIN_TOKEN this listener answers only requests addressed to an IP address or localhost; set the token to reach it by a name\n');
    }
    let setCookie: string | undefined;
    if (token !== undefined) {
      const auth = authenticate(presentedToken(req.headers, url.searchParams), token);
      if (!auth.ok) return surface.kind === 'path' ? notFound() : unauthorized();
      if (auth.via === 'query') {
        const secure = (req.headers.get('x-forwarded-proto') ?? '').toLowerCase() === 'https';
        setCookie = loginCookie(token, surface.prefix || '/', secure);
        if (req.method === 'GET' || req.method === 'HEAD') {
          // Trade the token in the address bar (history, screenshots, Referer) for the cookie.
          url.searchParams.delete('token');
          const location = url.pathname + (url.search === '?' ? '' : url.search);
          return { status: 303, headers: { ...SECURITY_HEADERS, location, 'set-cookie': setCookie, 'content-length': '0' }, body: EMPTY };
        }
      }
    }
    const res = await this.#endpoint(req, sub, url.searchParams, surface);
    return setCookie ? { ...res, headers: { ...res.headers, 'set-cookie': setCookie } } : res;
  }

  async #endpoint(req: AdminRequest, sub: string, query: URLSearchParams, surface: Surface): Promise<AdminResponse> {
    const read = req.method === 'GET' || req.method === 'HEAD';
    switch (sub) {
      case '/':
        if (!read) return methodNotAllowed('GET');
        return respond(200, 'text/html; charset=utf-8', renderPage(surface.prefix + '/', await comparisonCss(this.#deps.comparing())), {
          'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'",
        });
      case '/api/report':
        if (!read) return methodNotAllowed('GET');
        return respond(200, 'application/json; charset=utf-8', JSON.stringify(this.#deps.report()));
      case '/api/comparison.html': {
        // compare's own rendering of the report (the one the .html report file uses), as a
        // fragment the live page inserts: one implementation of the comparison view.
        if (!read) return methodNotAllowed('GET');
        const report = this.#deps.comparison();
        const html = report ? (await import('../compare/report-html.js')).renderComparisonHtml(report) : '<p class="meta">Comparison is off.</p>';
        return respond(200, 'text/html; charset=utf-8', html);
      }
      case '/metrics': {
        if (!read) return methodNotAllowed('GET');
        const metrics = await this.#deps.metrics();
        return respond(200, metrics.contentType, await metrics.render());
      }
      case '/api/control': {
        if (req.method !== 'POST') return methodNotAllowed('POST');
        // CSRF: another site can make a browser POST a form (or a query) to a loopback
        // --admin-listen, but not a JSON body, which needs a CORS preflight we never grant.
        // A bearer token can't be sent cross-site either, so scripts with one may use forms.
        const bearer = /^bearer\s/i.test(req.headers.get('authorization') ?? '');
        if (!bearer && !/^application\/json\b/i.test(req.headers.get('content-type') ?? '')) {
          return respond(415, 'application/json', JSON.stringify({ error: 'send a JSON body with Content-Type: application/json, e.g. {"action":"pause","dest":"https://candidate.example/"}' }));
        }
        const params: Record<string, string | undefined> = Object.fromEntries(query);
        delete params.token;
        const body = parseBody(req);
        if (body === undefined) return respond(400, 'application/json', JSON.stringify({ error: 'the body must be a JSON object (or, with a bearer token, a form: action=pause&dest=URL)' }));
        Object.assign(params, body);
        const r = this.#deps.control.apply(params, surface.kind);
        return respond(r.status, 'application/json; charset=utf-8', JSON.stringify(r.body));
      }
      default:
        return notFound();
    }
  }
}

const EMPTY = Buffer.alloc(0);

/** compare's styles, loaded only with --compare on (without it, nothing of compare loads but its flag syntax). */
async function comparisonCss(comparing: boolean): Promise<string> {
  return comparing ? (await import('../compare/report-html.js')).REPORT_CSS : '';
}

function respond(status: number, type: string, body: string, extra: Record<string, string> = {}): AdminResponse {
  const bytes = Buffer.from(body);
  return { status, headers: { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(bytes.length), ...extra }, body: bytes };
}

function text(status: number, body: string): AdminResponse {
  return respond(status, 'text/plain; charset=utf-8', body);
}

/** The same plain 404 for a wrong token and an unknown admin path: nothing tells them apart. */
export function notFound(): AdminResponse {
  return text(404, 'Not Found\n');
}

function unauthorized(): AdminResponse {
  const r = text(401, 'traffic-duplicator admin: send the token (Authorization: Bearer …, or ?token=… once)\n');
  return { ...r, headers: { ...r.headers, 'www-authenticate': 'Bearer realm="traffic-duplicator"' } };
}

function methodNotAllowed(allow: string): AdminResponse {
  const r = text(405, `use ${allow}\n`);
  return { ...r, headers: { ...r.headers, allow } };
}

function parseBody(req: AdminRequest): Record<string, string> | undefined {
  const raw = req.body.toString('utf8').trim();
  if (raw === '') return {};
  const type = req.headers.get('content-type') ?? '';
  if (type.includes('json') || raw.startsWith('{')) {
    try {
      const v: unknown = JSON.parse(raw);
      if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
      const out: Record<string, string> = {};
      for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = String(x);
      return out;
    } catch {
      return undefined;
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

/** The path and query of a request target; an absolute-form target (`http://host/p?q`) gives `/p?q`. */
export function originFormOf(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const u = new URL(target);
    return u.pathname + u.search;
  } catch {
    return '/';
  }
}

/** Whether a request target falls under the admin path: the path itself, or below it. */
export function isUnderPrefix(target: string, prefix: string): boolean {
  const t = originFormOf(target);
  if (!t.startsWith(prefix)) return false;
  const next = t.charCodeAt(prefix.length);
  return Number.isNaN(next) || next === 0x2f /* / */ || next === 0x3f /* ? */;
}

/**
 * Without a token, the admin listener trusts whoever can reach it (loopback, a pod's own
 * network). A web page can still reach a loopback port by DNS rebinding: its own host name,
 * re-pointed at 127.0.0.1, is same-origin to the browser, which then reads the report (real
 * production bodies) and posts controls. Such requests carry that name in Host; curl, a
 * Prometheus scrape of the pod's address or a port-forward carry an address or localhost.
 */
function addressedByAddress(host: string | undefined): boolean {
  if (host === undefined) return true; // HTTP/1.0 without Host: not a browser
  const name = host.startsWith('[') ? host.slice(1, Math.max(1, host.indexOf(']'))) : host.replace(/:\d*$/, '');
  return name.toLowerCase() === 'localhost' || isIP(name) !== 0;
}
