/**
 * gor modifier conformance table: for each `--http-*` flag, what gor does to a request.
 *
 * Rows come from goreplay's http_modifier_test.go ("gor:" in the name), from its flag help
 * ("gor help:"), and from reading http_modifier.go / proto/proto.go (the rest, each saying
 * which behaviour it pins). Requests and expectations are raw HTTP/1.1 as gor's own tests
 * write them (`Name: value`, CRLF, correct Content-Length), so the same table can be run
 * through the pipeline directly (test/pipeline/conformance.test.ts) or end to end:
 * write `request` into a .gor file, run
 * `traffic-duplicator --input-file in.gor --output-stdout ...toArgv(row.flags)`
 * and compare with `expectedRaw(row)` (undefined = nothing emitted).
 *
 * FNV-1a values used below (computed independently; % 100 in brackets):
 * "" 0x811c9dc5 [61] · "a" 0xe40c292c [20] · "1" 0x340ca71c [44] · "3" 0x360caa42 [82]
 * "alice" 0x872213e7 [79] · "joe" 0xdcd42e49 [1]
 */

export type ModifierArg = readonly [flag: string, value: string];

export interface ConformanceCase {
  readonly name: string;
  readonly flags: readonly ModifierArg[];
  /** The request as recorded. */
  readonly request: string;
  /** 'dropped', 'unchanged', or the whole request as it should come out. */
  readonly expect: 'dropped' | 'unchanged' | string;
}

/** gor's standard test payload: `POST <target>` with a 7-byte form body and Host www.w3.org. */
function w3(target: string, ...extraHeaders: string[]): string {
  return `POST ${target} HTTP/1.1\r\n${extraHeaders.map((h) => h + '\r\n').join('')}Content-Length: 7\r\nHost: www.w3.org\r\n\r\na=1&b=2`;
}

/** A bodiless request. */
function get(target: string, ...headers: string[]): string {
  return `GET ${target} HTTP/1.1\r\n${headers.map((h) => h + '\r\n').join('')}\r\n`;
}

/** A POST with gor's body and the given Authorization value. */
function basic(credentials: string): string {
  return `POST /post HTTP/1.1\r\nContent-Length: 7\r\nAuthorization: ${credentials}\r\n\r\na=1&b=2`;
}

const A = '--http-allow-method';
const SH = '--http-set-header';
const SP = '--http-set-param';
const AU = '--http-allow-url';
const DU = '--http-disallow-url';
const AH = '--http-allow-header';
const DH = '--http-disallow-header';
const BA = '--http-basic-auth-filter';
const HL = '--http-header-limiter';
const PL = '--http-param-limiter';
const RU = '--http-rewrite-url';
const RH = '--http-rewrite-header';

export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  // --http-allow-method: exact (case-sensitive) match against any listed method
  { name: 'gor help: allow GET and OPTIONS; GET passes', flags: [[A, 'GET'], [A, 'OPTIONS']], request: get('/'), expect: 'unchanged' },
  { name: 'gor help: allow GET and OPTIONS; POST is dropped', flags: [[A, 'GET'], [A, 'OPTIONS']], request: w3('/post'), expect: 'dropped' },
  { name: 'allow-method: OPTIONS passes', flags: [[A, 'GET'], [A, 'OPTIONS']], request: 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n', expect: 'unchanged' },
  {
    name: 'allow-method: a dropped request gets no other modifier applied (set-header never shows up)',
    flags: [[A, 'GET'], [SH, 'X-Mirror: 1']],
    request: w3('/post'),
    expect: 'dropped',
  },

  // --http-set-header: replace the first field of that name in place, else insert it first
  {
    name: 'gor: set-header inserts a new header right after the request line',
    flags: [[SH, 'User-Agent:Gor']],
    request: w3('/post'),
    expect: 'POST /post HTTP/1.1\r\nUser-Agent: Gor\r\nContent-Length: 7\r\nHost: www.w3.org\r\n\r\na=1&b=2',
  },
  {
    name: 'gor: set-header replaces an existing header in place and adds a new one first',
    flags: [[SH, 'Header1:1'], [SH, 'Host:localhost']],
    request: w3('/post'),
    expect: 'POST /post HTTP/1.1\r\nHeader1: 1\r\nContent-Length: 7\r\nHost: localhost\r\n\r\na=1&b=2',
  },
  {
    name: 'set-header: names match case-insensitively and the recorded spelling is kept',
    flags: [[SH, 'host: staging.internal']],
    request: get('/', 'Host: www.w3.org'),
    expect: get('/', 'Host: staging.internal'),
  },
  {
    name: 'set-header: only the first of duplicate fields is replaced',
    flags: [[SH, 'X-A: 3']],
    request: get('/', 'X-A: 1', 'X-A: 2'),
    expect: get('/', 'X-A: 3', 'X-A: 2'),
  },
  {
    name: 'set-header: name and value are trimmed',
    flags: [[SH, '  X-Test :   spaced value  ']],
    request: get('/'),
    expect: get('/', 'X-Test: spaced value'),
  },
  { name: 'set-header: an empty value is allowed', flags: [[SH, 'X-Empty:']], request: get('/'), expect: get('/', 'X-Empty: ') },
  {
    name: 'set-header: value splits at the first colon only',
    flags: [[SH, 'X-Url: http://b:8080/x']],
    request: get('/'),
    expect: get('/', 'X-Url: http://b:8080/x'),
  },
  {
    name: 'set-header: two flags for one header, the last wins',
    flags: [[SH, 'X-Env: one'], [SH, 'X-Env: two']],
    request: get('/'),
    expect: get('/', 'X-Env: two'),
  },

  // --http-set-param: replace where gor's PathParam finds it (&name= first, then ?name=), else append
  {
    name: 'gor: set-param overrides an existing value',
    flags: [[SP, 'api_key=1']],
    request: w3('/post?api_key=1234'),
    expect: w3('/post?api_key=1'),
  },
  { name: 'set-param: appended with ? when there is no query', flags: [[SP, 'api_key=1']], request: w3('/post'), expect: w3('/post?api_key=1') },
  { name: 'set-param: appended with & after a query', flags: [[SP, 'api_key=1']], request: w3('/post?a=b'), expect: w3('/post?a=b&api_key=1') },
  {
    name: 'set-param: "&k=" is found before "?k=" (gor PathParam order)',
    flags: [[SP, 'k=9']],
    request: get('/p?k=1&x=2&k=3'),
    expect: get('/p?k=1&x=2&k=9'),
  },
  { name: 'set-param: "xk=" is not "k="', flags: [[SP, 'k=9']], request: get('/p?xk=1'), expect: get('/p?xk=1&k=9') },
  { name: 'set-param: name and value are trimmed', flags: [[SP, ' k = v ']], request: get('/p'), expect: get('/p?k=v') },

  // --http-allow-url: any pattern matching the request-target (path + query, as sent) keeps it
  { name: 'gor: allow-url /v1/app or /v1/api; /v1/app/test passes', flags: [[AU, '/v1/app'], [AU, '/v1/api']], request: w3('/v1/app/test'), expect: 'unchanged' },
  { name: 'gor: allow-url /v1/app or /v1/api; /v1/api/test passes', flags: [[AU, '/v1/app'], [AU, '/v1/api']], request: w3('/v1/api/test'), expect: 'unchanged' },
  { name: 'gor: allow-url /v1/app or /v1/api; /other is dropped', flags: [[AU, '/v1/app'], [AU, '/v1/api']], request: w3('/other'), expect: 'dropped' },
  { name: 'gor: allow-url matches the query string too', flags: [[AU, 'ad_ids=1677']], request: w3('/getAd?ad_type=7&ad_ids=1677%3A24&page=0'), expect: 'unchanged' },
  { name: 'allow-url: the Host header is not part of what is matched', flags: [[AU, 'www\\.w3\\.org']], request: w3('/post'), expect: 'dropped' },
  { name: 'allow-url: an absolute-form target includes scheme and host', flags: [[AU, '^http://www\\.w3\\.org/']], request: get('http://www.w3.org/x'), expect: 'unchanged' },
  { name: 'allow-url: Go (?i) flag', flags: [[AU, '(?i)^/API/']], request: get('/api/users'), expect: 'unchanged' },
  {
    name: 'order: set-param runs before allow-url (the filter sees the added parameter)',
    flags: [[AU, 'src=mirror'], [SP, 'src=mirror']],
    request: get('/x'),
    expect: get('/x?src=mirror'),
  },

  // --http-disallow-url: any pattern matching drops
  { name: 'gor: disallow-url; /v1/app/test passes', flags: [[DU, '/restricted1'], [DU, '/some/restricted2']], request: w3('/v1/app/test'), expect: 'unchanged' },
  { name: 'gor: disallow-url; /restricted1 is dropped', flags: [[DU, '/restricted1'], [DU, '/some/restricted2']], request: w3('/restricted1'), expect: 'dropped' },
  { name: 'gor: disallow-url; /some/restricted2 is dropped', flags: [[DU, '/restricted1'], [DU, '/some/restricted2']], request: w3('/some/restricted2'), expect: 'dropped' },
  { name: 'disallow-url: unanchored, like Go Match', flags: [[DU, '/restricted1']], request: get('/x/restricted1/y'), expect: 'dropped' },
  { name: 'disallow-url: Go \\z matches only at the very end', flags: [[DU, '\\.json\\z']], request: get('/a.json'), expect: 'dropped' },
  { name: 'disallow-url: Go \\z, query after it', flags: [[DU, '\\.json\\z']], request: get('/a.json?x=1'), expect: 'unchanged' },

  // --http-allow-header: header must be present, non-empty, and match
  { name: 'gor: allow-header Host:^www.w3.org$ passes', flags: [[AH, 'Host:^www.w3.org$']], request: w3('/post'), expect: 'unchanged' },
  { name: 'gor: allow-header Host:^www.w4.org$ drops', flags: [[AH, 'Host:^www.w4.org$']], request: w3('/post'), expect: 'dropped' },
  { name: 'gor help: allow-header api-version:^v1', flags: [[AH, 'api-version:^v1']], request: get('/', 'Api-Version: v1.2'), expect: 'unchanged' },
  { name: 'allow-header: a missing header drops (gor 1.x)', flags: [[AH, 'X-Api: .*']], request: get('/'), expect: 'dropped' },
  { name: 'allow-header: an empty header counts as missing', flags: [[AH, 'X-Api: .*']], request: get('/', 'X-Api: '), expect: 'dropped' },
  { name: 'allow-header: only the first of duplicate fields is looked at', flags: [[AH, 'X-V: ^2$']], request: get('/', 'X-V: 1', 'X-V: 2'), expect: 'dropped' },
  {
    name: 'allow-header: every flag must pass',
    flags: [[AH, 'Host: w3'], [AH, 'X-Team: ^core$']],
    request: w3('/post', 'X-Team: web'),
    expect: 'dropped',
  },
  {
    name: 'order: set-header runs before allow-header (the filter sees the new Host)',
    flags: [[AH, 'Host: ^staging$'], [SH, 'Host: staging']],
    request: w3('/post'),
    expect: 'POST /post HTTP/1.1\r\nContent-Length: 7\r\nHost: staging\r\n\r\na=1&b=2',
  },

  // --http-disallow-header: header present, non-empty and matching drops
  { name: 'gor: disallow-header Host:^www.w3.org$ lets w4 pass', flags: [[DH, 'Host:^www.w3.org$']], request: w3('/post').replace('w3.org', 'w4.org'), expect: 'unchanged' },
  { name: 'gor: disallow-header Host:^www.w4.org$ drops w4', flags: [[DH, 'Host:^www.w4.org$']], request: w3('/post').replace('w3.org', 'w4.org'), expect: 'dropped' },
  { name: 'gor: disallow-header "Host: www*" drops', flags: [[DH, 'Host: www*']], request: w3('/post').replace('w3.org', 'w4.org'), expect: 'dropped' },
  { name: 'disallow-header: a missing header passes', flags: [[DH, 'X-Debug: .*']], request: get('/'), expect: 'unchanged' },
  {
    name: 'gor help: disallow-header "User-Agent: Replayed by Gor"',
    flags: [[DH, 'User-Agent: Replayed by Gor']],
    request: get('/', 'User-Agent: Replayed by Gor'),
    expect: 'dropped',
  },
  {
    name: 'order: set-header runs before disallow-header (setting the banned value drops)',
    flags: [[DH, 'User-Agent: Replayed by Gor'], [SH, 'User-Agent: Replayed by Gor']],
    request: get('/', 'User-Agent: curl'),
    expect: 'dropped',
  },

  // --http-basic-auth-filter: decoded "user:password" of `Authorization: Basic` must match
  { name: 'gor: basic-auth ^customer[0-9].* passes customer3:welcome', flags: [[BA, '^customer[0-9].*']], request: basic('Basic Y3VzdG9tZXIzOndlbGNvbWU='), expect: 'unchanged' },
  {
    name: 'gor: basic-auth passes customer6 even with broken padding (Go keeps what decoded)',
    flags: [[BA, '^customer[0-9].*']],
    request: basic('Basic Y3VzdG9tZXI2OnJlc3RAMTIzXlRFU1Q=='),
    expect: 'unchanged',
  },
  { name: 'basic-auth: a non-ASCII user (UTF-8, as Go matches bytes) passes ^josé:', flags: [[BA, '^josé:']], request: basic('Basic am9zw6k6cHc='), expect: 'unchanged' },
  { name: 'basic-auth: a non-ASCII user that differs is dropped', flags: [[BA, '^josè:']], request: basic('Basic am9zw6k6cHc='), expect: 'dropped' },
  {
    name: 'gor: basic-auth ^(homer simpson|mickey mouse).* drops customer6',
    flags: [[BA, '^(homer simpson|mickey mouse).*']],
    request: basic('Basic Y3VzdG9tZXI2OnJlc3RAMTIzXlRFU1Q=='),
    expect: 'dropped',
  },
  { name: 'gor: basic-auth passes mickey mouse', flags: [[BA, '^(homer simpson|mickey mouse).*']], request: basic('Basic bWlja2V5IG1vdXNlOmhhcHB5MTIz'), expect: 'unchanged' },
  { name: 'basic-auth: no Authorization header passes', flags: [[BA, '^admin']], request: w3('/post'), expect: 'unchanged' },
  { name: 'basic-auth: another scheme passes', flags: [[BA, '^admin']], request: basic('Bearer abc.def'), expect: 'unchanged' },
  { name: 'basic-auth: "basic " in lower case is not decoded (gor TrimPrefix "Basic ")', flags: [[BA, '^admin']], request: basic('basic Y3VzdG9tZXIzOndlbGNvbWU='), expect: 'unchanged' },
  { name: 'basic-auth: . does not match \\n without (?s)', flags: [[BA, '^user.name']], request: basic('Basic dXNlcgpuYW1lOnB3'), expect: 'dropped' },
  { name: 'basic-auth: Go (?s) lets . match \\n', flags: [[BA, '(?s)^user.name']], request: basic('Basic dXNlcgpuYW1lOnB3'), expect: 'unchanged' },
  { name: 'basic-auth: UTF-8 credentials and \\p{L}', flags: [[BA, '^\\p{L}+:']], request: basic('Basic Sm9zw6k6cHc='), expect: 'unchanged' },
  { name: 'basic-auth: é is one rune for .', flags: [[BA, '^Jos.:']], request: basic('Basic Sm9zw6k6cHc='), expect: 'unchanged' },
  { name: 'basic-auth: é is not [a-zA-Z]', flags: [[BA, '^[a-zA-Z]+:']], request: basic('Basic Sm9zw6k6cHc='), expect: 'dropped' },
  { name: 'basic-auth: trailing garbage after padding keeps the decoded bytes', flags: [[BA, '^admin:x$']], request: basic('Basic YWRtaW46eA==garbage'), expect: 'unchanged' },
  { name: 'basic-auth: decoding stops at an invalid char ("adm")', flags: [[BA, '^admin']], request: basic('Basic YWRt!W46eA=='), expect: 'dropped' },
  { name: 'basic-auth: every flag must pass', flags: [[BA, '^customer'], [BA, ':secret$']], request: basic('Basic Y3VzdG9tZXIzOndlbGNvbWU='), expect: 'dropped' },

  // --http-header-limiter: keep iff fnv32a(value) % 100 < N; no header passes
  { name: 'gor: header-limiter 1/2, no header passes', flags: [[HL, 'Header2:1/2']], request: w3('/'), expect: 'unchanged' },
  { name: 'gor: header-limiter 1/2, "3" [82] is dropped', flags: [[HL, 'Header2:1/2']], request: w3('/', 'Header2: 3'), expect: 'dropped' },
  { name: 'gor: header-limiter 1/2, "1" [44] passes', flags: [[HL, 'Header2:1/2']], request: w3('/', 'Header2: 1'), expect: 'unchanged' },
  { name: 'gor help: header-limiter user-id:25%, alice [79] is dropped', flags: [[HL, 'user-id:25%']], request: get('/', 'User-Id: alice'), expect: 'dropped' },
  { name: 'gor help: header-limiter user-id:25%, joe [1] passes', flags: [[HL, 'user-id:25%']], request: get('/', 'User-Id: joe'), expect: 'unchanged' },
  { name: 'header-limiter: boundary, "a" [20] passes at 21%', flags: [[HL, 'X-User: 21%']], request: get('/', 'X-User: a'), expect: 'unchanged' },
  { name: 'header-limiter: boundary, "a" [20] is dropped at 20%', flags: [[HL, 'X-User: 20%']], request: get('/', 'X-User: a'), expect: 'dropped' },
  { name: 'header-limiter: 0% drops every request with the header', flags: [[HL, 'X-User: 0%']], request: get('/', 'X-User: joe'), expect: 'dropped' },
  { name: 'header-limiter: 100% keeps all', flags: [[HL, 'X-User: 100%']], request: get('/', 'X-User: alice'), expect: 'unchanged' },
  { name: 'header-limiter: Go ParseInt base 0, 0x15% is 21%', flags: [[HL, 'X-User: 0x15%']], request: get('/', 'X-User: a'), expect: 'unchanged' },
  { name: 'header-limiter: Go ParseInt base 0, 024% is octal 20%', flags: [[HL, 'X-User: 024%']], request: get('/', 'X-User: a'), expect: 'dropped' },
  { name: 'header-limiter: an empty header value passes', flags: [[HL, 'X-User: 0%']], request: get('/', 'X-User: '), expect: 'unchanged' },

  // --http-param-limiter: same, by the raw query parameter value
  { name: 'gor: param-limiter 1/2, no param passes', flags: [[PL, 'user_id:1/2']], request: w3('/'), expect: 'unchanged' },
  { name: 'gor: param-limiter 1/2, user_id=3 [82] is dropped', flags: [[PL, 'user_id:1/2']], request: w3('/?user_id=3'), expect: 'dropped' },
  { name: 'gor: param-limiter 1/2, user_id=1 [44] passes', flags: [[PL, 'user_id:1/2']], request: w3('/?user_id=1'), expect: 'unchanged' },
  { name: 'param-limiter: an empty value is hashed, "" [61] dropped at 61%', flags: [[PL, 'user_id: 61%']], request: get('/?user_id='), expect: 'dropped' },
  { name: 'param-limiter: an empty value is hashed, "" [61] passes at 62%', flags: [[PL, 'user_id: 62%']], request: get('/?user_id=&x=1'), expect: 'unchanged' },
  { name: 'param-limiter: "&user_id=" is found first (1 [44] passes at 50%)', flags: [[PL, 'user_id: 50%']], request: get('/p?user_id=3&x=1&user_id=1'), expect: 'unchanged' },
  {
    name: 'order: set-param runs before param-limiter (joe [1] passes at 5%)',
    flags: [[PL, 'user_id: 5%'], [SP, 'user_id=joe']],
    request: get('/p?user_id=3'),
    expect: get('/p?user_id=joe'),
  },

  // --http-rewrite-url: the first matching rule rewrites (all matches, Go ReplaceAll), later rules are not tried
  {
    name: 'gor: rewrite-url /v1/user/([^\\/]+)/ping:/v2/user/$1/ping',
    flags: [[RU, '/v1/user/([^\\/]+)/ping:/v2/user/$1/ping']],
    request: w3('/v1/user/joe/ping'),
    expect: w3('/v2/user/joe/ping'),
  },
  { name: 'gor: rewrite-url leaves a non-matching URL alone', flags: [[RU, '/v1/user/([^\\/]+)/ping:/v2/user/$1/ping']], request: w3('/v1/user/ping'), expect: 'unchanged' },
  { name: 'rewrite-url: only the first matching rule applies', flags: [[RU, '^/a:/b'], [RU, '^/b:/c']], request: get('/a/x'), expect: get('/b/x') },
  { name: 'rewrite-url: a non-matching rule is skipped', flags: [[RU, '^/z:/y'], [RU, '^/a:/b']], request: get('/a'), expect: get('/b') },
  { name: 'rewrite-url: every match in the target is replaced', flags: [[RU, 'a:b']], request: get('/x/a/a'), expect: get('/x/b/b') },
  { name: 'rewrite-url: the query is part of the target', flags: [[RU, '^/search\\?q=:/find?query=']], request: get('/search?q=cats'), expect: get('/find?query=cats') },
  { name: 'rewrite-url: ${1}x is group 1 then "x"', flags: [[RU, '^/(\\w+)$:/${1}x']], request: get('/foo'), expect: get('/foox') },
  { name: 'rewrite-url: $1x is the (missing) group "1x", so empty', flags: [[RU, '^/(\\w+)$:/$1x']], request: get('/foo'), expect: get('/') },
  {
    name: 'rewrite-url: named groups $name and ${name}',
    flags: [[RU, '^/(?P<ver>v\\d+)/(?P<rest>.*):/api/${rest}?version=$ver']],
    request: get('/v2/users'),
    expect: get('/api/users?version=v2'),
  },
  { name: 'rewrite-url: $$ is a literal $', flags: [[RU, '^/cost:/$$cost']], request: get('/cost'), expect: get('/$cost') },
  { name: 'rewrite-url: $01 is the name "01" (no leading zeros), so empty', flags: [[RU, '^/(\\w+):/$01']], request: get('/foo'), expect: get('/') },
  { name: 'rewrite-url: an unclosed ${ is literal', flags: [[RU, '^/(\\w+)$:/${1']], request: get('/foo'), expect: get('/${1') },
  { name: 'rewrite-url: a trailing $ is literal', flags: [[RU, '^/x$:/y$']], request: get('/x'), expect: get('/y$') },
  { name: 'rewrite-url: a group beyond the pattern expands to nothing', flags: [[RU, '^/(\\w+)$:/${9}z']], request: get('/foo'), expect: get('/z') },
  { name: 'rewrite-url: a group that did not participate expands to nothing', flags: [[RU, '^/(a)?(b)$:/$1-$2']], request: get('/b'), expect: get('/-b') },
  { name: 'rewrite-url: Go skips an empty match right after a match', flags: [[RU, 'a*:X']], request: get('/baaac'), expect: get('X/XbXcX') },
  { name: 'rewrite-url: Go (?i)', flags: [[RU, '(?i)^/API/:/api/']], request: get('/Api/users'), expect: get('/api/users') },
  { name: 'order: filters see the URL before rewrite-url', flags: [[AU, '^/new'], [RU, '^/old:/new']], request: get('/old'), expect: 'dropped' },
  { name: 'order: filters see the URL before rewrite-url (allowed by old path)', flags: [[RU, '^/old:/new'], [AU, '^/old']], request: get('/old'), expect: get('/new') },

  // --http-rewrite-header: Go ReplaceAll on the header value, set back with gor's SetHeader
  {
    name: 'gor: rewrite-header Host: (.*).w3.org,$1.beta.w3.org',
    flags: [[RH, 'Host: (.*).w3.org,$1.beta.w3.org']],
    request: 'GET / HTTP/1.1\r\nContent-Length: 7\r\nHost: www.w3.org\r\n\r\na=1&b=2',
    expect: 'GET / HTTP/1.1\r\nContent-Length: 7\r\nHost: www.beta.w3.org\r\n\r\na=1&b=2',
  },
  { name: 'rewrite-header: no match leaves the header alone', flags: [[RH, 'Host: ^api\\.,internal-api.']], request: get('/', 'Host: www.w3.org'), expect: 'unchanged' },
  { name: 'rewrite-header: a missing header is not added', flags: [[RH, 'X-Env: .*,staging']], request: get('/'), expect: 'unchanged' },
  { name: 'rewrite-header: every match in the value is replaced', flags: [[RH, 'X-List: a,b']], request: get('/', 'X-List: aXa'), expect: get('/', 'X-List: bXb') },
  { name: 'rewrite-header: names match case-insensitively, spelling kept', flags: [[RH, 'host: w3,w4']], request: get('/', 'Host: www.w3.org'), expect: get('/', 'Host: www.w4.org') },
  {
    name: 'rewrite-header: gor quirk, a missing header stops the later header rewrites',
    flags: [[RH, 'X-Missing: .*,y'], [RH, 'Host: w3,w4']],
    request: get('/', 'Host: www.w3.org'),
    expect: 'unchanged',
  },
  {
    name: 'rewrite-header: rules before the missing header still apply',
    flags: [[RH, 'Host: w3,w4'], [RH, 'X-Missing: .*,y']],
    request: get('/', 'Host: www.w3.org'),
    expect: get('/', 'Host: www.w4.org'),
  },
  {
    name: 'order: rewrite-header runs after set-header',
    flags: [[RH, 'X-Env: prod,staging'], [SH, 'X-Env: prod']],
    request: get('/'),
    expect: get('/', 'X-Env: staging'),
  },

  // everything at once, in gor's order
  {
    name: 'order: allow-method, set-header, set-param, filters, rewrite-url, rewrite-header',
    flags: [
      [RH, 'Host: ^(.*)$,shadow-$1'],
      [RU, '^/v1/:/v2/'],
      [PL, 'user_id: 50%'],
      [HL, 'X-User: 50%'],
      [DH, 'X-Debug: .*'],
      [AH, 'X-Source: ^mirror$'],
      [DU, '^/v1/admin'],
      [AU, '^/v1/'],
      [SP, 'user_id=1'],
      [SH, 'X-Source: mirror'],
      [A, 'GET'],
    ],
    request: get('/v1/items?user_id=3', 'Host: app', 'X-User: joe'),
    expect: get('/v2/items?user_id=1', 'X-Source: mirror', 'Host: shadow-app', 'X-User: joe'),
  },
];

/** The flags as argv, e.g. ['--http-set-header', 'X: y']. */
export function toArgv(flags: readonly ModifierArg[]): string[] {
  return flags.flatMap(([flag, value]) => [flag, value]);
}

/** The raw request expected out, or undefined when it should be dropped. */
export function expectedRaw(row: ConformanceCase): string | undefined {
  if (row.expect === 'dropped') return undefined;
  return row.expect === 'unchanged' ? row.request : row.expect;
}
