// Textual forms of addresses and prefixes. The HAL's wire and TypeScript forms are
// canonical text (dotted quad, RFC 5952, lowercase MAC); these functions are the
// one place that knows how to parse and print them.

export type IpFamily = 4 | 6;

/** Parses a dotted quad strictly (no leading zeros: elsewhere they read as octal). */
export function parseIpv4(text: string): Uint8Array | null {
  // Hand-scanned (no split/regex): this is on every write's validation path.
  const n = text.length;
  if (n < 7 || n > 15) return null;
  const out = new Uint8Array(4);
  let part = 0;
  let v = 0;
  let digits = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || v > 255 || part > 3) return null;
      out[part++] = v;
      v = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && v === 0) return null;
      if (++digits > 3) return null;
      v = v * 10 + (c - 48);
    } else return null;
  }
  return part === 4 ? out : null;
}

/** `offset` lets packet parsers format straight from a frame without copying. */
export function formatIpv4(b: Uint8Array, offset = 0): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

/** Any RFC 4291 textual IPv6 form, an IPv4 tail included; zone ids are not accepted. */
export function parseIpv6(text: string): Uint8Array | null {
  if (text.length < 2 || text.length > 45) return null;
  const dbl = text.indexOf('::');
  if (dbl !== -1 && text.indexOf('::', dbl + 1) !== -1) return null;
  const groupsOf = (s: string, allowV4Tail: boolean): number[] | null => {
    if (s === '') return [];
    const parts = s.split(':');
    const words: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (allowV4Tail && i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) return null;
        words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        words.push(parseInt(p, 16));
      }
    }
    return words;
  };
  let words: number[];
  if (dbl === -1) {
    const all = groupsOf(text, true);
    if (!all || all.length !== 8) return null;
    words = all;
  } else {
    const head = groupsOf(text.slice(0, dbl), false);
    const tail = groupsOf(text.slice(dbl + 2), true);
    if (!head || !tail || head.length + tail.length > 7) return null;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/**
 * RFC 5952: lowercase, no leading zeros, the longest run (>= 2) of zero words as
 * "::" (the first on a tie), IPv4-mapped addresses in mixed notation (§5).
 */
export function formatIpv6(b: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[offset + 2 * i] << 8) | b[offset + 2 * i + 1]);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${formatIpv4(b, offset + 12)}`;
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestLen < 2) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** Either family; IPv4 first because a dotted quad never contains ':'. */
export function parseIp(text: string): Uint8Array | null {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

export function formatIp(b: Uint8Array): string {
  return b.length === 4 ? formatIpv4(b) : formatIpv6(b);
}

export function familyOf(text: string): IpFamily {
  return text.includes(':') ? 6 : 4;
}

export interface ParsedPrefix {
  readonly bytes: Uint8Array;
  readonly length: number;
  readonly family: IpFamily;
}

/** "addr/len" with any valid address text; host bits are reported, not cleared. */
export function parsePrefix(text: string): (ParsedPrefix & { hostBitsZero: boolean }) | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const bytes = parseIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!bytes || !/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return null;
  const length = Number(lenText);
  if (length > bytes.length * 8) return null;
  return { bytes, length, family: bytes.length === 4 ? 4 : 6, hostBitsZero: hostBitsZero(bytes, length) };
}

export function hostBitsZero(bytes: Uint8Array, length: number): boolean {
  for (let bit = length; bit < bytes.length * 8; bit++) {
    if (bytes[bit >> 3] & (0x80 >> (bit & 7))) return false;
  }
  return true;
}

/** True when `addr` (same family) lies inside the prefix. */
export function prefixContains(prefix: ParsedPrefix, addr: Uint8Array): boolean {
  if (addr.length !== prefix.bytes.length) return false;
  const full = prefix.length >> 3;
  for (let i = 0; i < full; i++) if (addr[i] !== prefix.bytes[i]) return false;
  const rem = prefix.length & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (addr[full] & mask) === (prefix.bytes[full] & mask);
}

export function parseMac(text: string): Uint8Array | null {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) return null;
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatMac(b: Uint8Array, offset = 0): string {
  const o = offset;
  return `${HEX2[b[o]]}:${HEX2[b[o + 1]]}:${HEX2[b[o + 2]]}:${HEX2[b[o + 3]]}:${HEX2[b[o + 4]]}:${HEX2[b[o + 5]]}`;
}
