/**
 * Go's `base64.StdEncoding.DecodeString`, keeping what it returns alongside an error.
 *
 * gor decodes `Authorization: Basic …` with `decoded, _ := DecodeString(…)` and matches
 * the regexp against `decoded` even when decoding failed part-way. Go stops at the first
 * bad quantum, keeping the bytes of the complete quanta before it (and of a correctly
 * padded final quantum followed by garbage). Node's base64 decoder is more lenient
 * (URL-safe letters, missing padding), so it would feed the filter different bytes.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

function isNewline(code: number): boolean {
  return code === 0x0a || code === 0x0d;
}

export function goBase64Decode(src: string): Buffer {
  const out: number[] = [];
  let si = 0;
  while (si < src.length) {
    const q = [0, 0, 0, 0];
    let j = 0;
    let padded = false;
    while (j < 4) {
      if (si === src.length) {
        // Input ended inside a quantum: Go (padded encoding) rejects it, keeping nothing of it.
        return Buffer.from(out);
      }
      const code = src.charCodeAt(si++);
      const v = code < 128 ? DECODE[code]! : -1;
      if (v >= 0) {
        q[j++] = v;
        continue;
      }
      if (isNewline(code)) continue;
      if (code !== 0x3d /* = */ || j < 2) return Buffer.from(out);
      if (j === 2) {
        while (si < src.length && isNewline(src.charCodeAt(si))) si++;
        if (si === src.length || src.charCodeAt(si) !== 0x3d) return Buffer.from(out);
        si++;
      }
      padded = true;
      break;
    }
    const val = (q[0]! << 18) | (q[1]! << 12) | (q[2]! << 6) | q[3]!;
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    // j data chars decode to j-1 bytes (4 → 3, 3 → 2, 2 → 1).
    for (let k = 0; k < j - 1; k++) out.push(bytes[k]!);
    if (padded) break; // anything after the padding is an error in Go; what we have is kept
  }
  return Buffer.from(out);
}
