// Textual forms of addresses and prefixes. The HAL's wire and TypeScript forms are
// canonical text (dotted quad, RFC 5952, lowercase MAC); these functions are the
// one place that knows how to parse and print them.

export type IpFamily = 4 | 6;

/** Parses a dotted quad strictly (no leading zeros, no shorthand). */
export function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

export function formatIpv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** Parses any RFC 4291 textual IPv6 form, including an embedded IPv4 tail. */
export function parseIpv6(text: string): Uint8Array | null {
  if (text.length < 2 || text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (s: string): number[] | null => {
    if (s === '') return [];
    const parts = s.split(':');
    const words: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
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
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return null;
  if (halves.length === 1 && head.length !== 8) return null;
  if (halves.length === 2 && head.length + tail.length > 7) return null;
  const words = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** RFC 5952: lowercase, no leading zeros, the longest run (>1) of zero words as "::". */
export function formatIpv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[2 * i] << 8) | b[2 * i + 1]);
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

export function formatMac(b: Uint8Array): string {
  return Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}
