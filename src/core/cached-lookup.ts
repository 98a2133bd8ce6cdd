import dns, { type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import type { Socket } from 'node:net';

/** How long an answer is used (at most one lookup per name per this many ms, while connections succeed). */
export const LOOKUP_TTL_MS = 5000;

export type Resolve = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/** The callback of net.connect's `lookup` option: one address, or all of them when asked `all`. */
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

interface Entry {
  addresses: LookupAddress[] | undefined;
  expires: number;
  /** Answers given from this entry: where the preferred family's addresses start. */
  turn: number;
  /** Callers waiting for the lookup under way (undefined once it is done). */
  waiting: Array<(err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void> | undefined;
}

/**
 * A host name's addresses, looked up once per few seconds instead of once per connection:
 * the app's (`--upstream http://localhost:3000`, a compose service; relay/upstream.ts) and
 * each shadow's (outputs/http/pool.ts).
 *
 * Node looks a name up on every connect: a getaddrinfo call on libuv's thread pool (which
 * re-reads /etc/hosts and may ask DNS) before the connection can even start. For the app
 * that is on the primary path of every new client connection. Measured side by side (wrk
 * -c50 with `Connection: close`, one shadow, the builds before and after in one run), with
 * `--upstream http://localhost:PORT` the cache took CPU per request to 0.80× and req/s to
 * 1.14× of what they were (an IP literal upstream stays a little cheaper still).
 * For a shadow it is one DNS query per pooled connection opened (64 per destination when
 * the pool warms up at start).
 *
 * What is kept is what the lookup answered (every address: Node's connect then tries them in
 * turn, as without the cache), for `ttlMs`. Lookups made while one is under way wait for it.
 * Where a name has several addresses of the family it prefers (DNS round robin), each answer
 * starts one further along them, so connections still spread over them as they did when
 * every lookup got the resolver's rotated answer.
 * A failed lookup is not kept, and `forget()` (called when a connection fails) makes the
 * next connection look the name up again, so an address that changed is followed at once
 * where it matters and within `ttlMs` at worst.
 */
export class CachedLookup {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #resolve: Resolve;
  /** By family, hints and name: what net.connect varies its lookups by. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: { ttlMs: number; now?: () => number; resolve?: Resolve }) {
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? (() => performance.now());
    this.#resolve = options.resolve ?? ((hostname, opts, cb) => dns.lookup(hostname, opts, cb));
  }

  /** For net.connect's `lookup` option (same contract as dns.lookup). */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const answer = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]): void => {
      if (err) callback(err, options.all ? [] : '');
      else if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    };
    const key = `${options.family ?? 0}/${options.hints ?? 0}/${hostname}`;
    const kept = this.#entries.get(key);
    if (kept?.waiting) {
      kept.waiting.push(answer);
      return;
    }
    if (kept?.addresses && kept.expires > this.#now()) {
      // Asynchronous, like a real lookup: connect() expects its callback later.
      process.nextTick(answer, null, rotated(kept.addresses, kept.turn++));
      return;
    }
    const entry: Entry = { addresses: undefined, expires: 0, turn: 0, waiting: [answer] };
    this.#entries.set(key, entry);
    this.#resolve(hostname, { ...options, all: true }, (err, addresses) => {
      const waiting = entry.waiting!;
      entry.waiting = undefined;
      const ok = !err && addresses.length > 0;
      if (ok) {
        entry.addresses = addresses;
        entry.expires = this.#now() + this.#ttlMs;
      }
      // Forgotten meanwhile, or failed: the next connection looks the name up again.
      if (!ok && this.#entries.get(key) === entry) this.#entries.delete(key);
      const failure = err ?? Object.assign(new Error(`lookup ${hostname}: no address`), { code: 'ENOTFOUND' });
      if (!ok) for (const w of waiting) w(failure, addresses);
      else for (const w of waiting) w(null, rotated(addresses, entry.turn++));
    });
  };

  /**
   * For a connection made through `lookup`: if it fails, refused, unreachable or reset,
   * whatever it was, the next connection looks `hostname` up again. Returns the socket.
   */
  forgetOnError<S extends Socket>(socket: S, hostname: string): S {
    socket.once('error', () => this.forget(hostname));
    return socket;
  }

  /** The next lookup of `hostname` asks again (a connection to one of its addresses failed). */
  forget(hostname: string): void {
    for (const [key, entry] of this.#entries) {
      if (key.endsWith(`/${hostname}`) && !entry.waiting) this.#entries.delete(key);
    }
  }
}

/**
 * The addresses with those of the first one's family (the family connect prefers) starting
 * at their `turn`-th, in order; the other family's after them, as they were. One address of
 * that family: the kept array itself.
 */
function rotated(addresses: LookupAddress[], turn: number): LookupAddress[] {
  const family = addresses[0]!.family;
  const preferred = addresses.filter((a) => a.family === family);
  if (preferred.length < 2) return addresses;
  const k = turn % preferred.length;
  return [...preferred.slice(k), ...preferred.slice(0, k), ...addresses.filter((a) => a.family !== family)];
}
