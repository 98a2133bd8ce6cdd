/**
 * FNV-1a, 32 bit (Go's `hash/fnv.New32a`), over the bytes of a header or query value.
 * gor hashes raw bytes; our strings hold one byte per char (latin1) as read off the wire,
 * and we fall back to UTF-8 if a value somehow holds wider chars. No allocation for the
 * common case.
 */
const OFFSET_BASIS = 0x811c9dc5;
const PRIME = 0x01000193;

export function fnv32a(value: string, start = 0, end = value.length): number {
  let hash = OFFSET_BASIS;
  for (let i = start; i < end; i++) {
    const code = value.charCodeAt(i);
    if (code > 0xff) return fnv32aBytes(Buffer.from(value.slice(start, end), 'utf8'));
    hash = Math.imul(hash ^ code, PRIME) >>> 0;
  }
  return hash >>> 0;
}

function fnv32aBytes(bytes: Uint8Array): number {
  let hash = OFFSET_BASIS;
  for (const b of bytes) hash = Math.imul(hash ^ b, PRIME) >>> 0;
  return hash >>> 0;
}

/** gor's sampling decision: keep when `fnv32a(value) % 100 < percent` (value = value[start, end)). */
export function inSample(percent: number, value: string, start = 0, end = value.length): boolean {
  return fnv32a(value, start, end) % 100 < percent;
}
