// Address arithmetic the compiler needs: canonical host prefixes, prefix
// normalisation, and prefix subtraction (ipBlock.cidr minus its except list).
// ACL allow entries cannot express "except" without a higher-priority deny that
// would also cut across other rules, so the difference is spelled out as prefixes.
import { familyOf, formatIp, ip as canonicalIp, parseIp, parsePrefix } from '../hal/index.js';

export type Family = 4 | 6;

/** The canonical text of an address, or null when it is not one. */
export function canonicalAddress(text: string): string | null {
  try {
    return canonicalIp(text.trim());
  } catch {
    return null;
  }
}

export function hostPrefix(addr: string): string {
  return `${addr}/${familyOf(addr) === 4 ? 32 : 128}`;
}

interface Net {
  readonly family: Family;
  readonly base: bigint;
  readonly len: number;
}

const bitsOf = (f: Family) => (f === 4 ? 32 : 128);

function toBig(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function fromBig(v: bigint, family: Family): string {
  const n = family === 4 ? 4 : 16;
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return formatIp(out);
}

function mask(family: Family, len: number): bigint {
  const bits = bitsOf(family);
  return len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
}

function parseNet(text: string): Net | null {
  const p = parsePrefix(text.trim());
  if (!p) return null;
  const family = p.family;
  return { family, len: p.length, base: toBig(p.bytes) & mask(family, p.length) };
}

const netText = (n: Net) => `${fromBig(n.base, n.family)}/${n.len}`;

/** A prefix in canonical form with host bits cleared, or null when it is not a prefix. */
export function normalizePrefix(text: string): string | null {
  const n = parseNet(text);
  return n ? netText(n) : null;
}

function contains(outer: Net, inner: Net): boolean {
  return outer.family === inner.family && outer.len <= inner.len && (inner.base & mask(outer.family, outer.len)) === outer.base;
}

/**
 * `cidr` minus every prefix of `except`, as a sorted list of disjoint prefixes.
 * Throws on text that is not a prefix (callers report the object and skip it).
 */
export function subtractPrefixes(cidr: string, except: readonly string[]): string[] {
  const whole = parseNet(cidr);
  if (!whole) throw new Error(`"${cidr}" is not a CIDR`);
  const holes: Net[] = [];
  for (const e of except) {
    const h = parseNet(e);
    if (!h) throw new Error(`"${e}" is not a CIDR`);
    if (h.family === whole.family) holes.push(h);
  }
  const out: Net[] = [];
  const bits = bitsOf(whole.family);
  const walk = (n: Net) => {
    if (holes.some((h) => contains(h, n))) return;
    if (!holes.some((h) => contains(n, h))) {
      out.push(n);
      return;
    }
    const len = n.len + 1;
    walk({ family: n.family, len, base: n.base });
    walk({ family: n.family, len, base: n.base | (1n << BigInt(bits - len)) });
  };
  walk(whole);
  return out.map(netText);
}

export function prefixContainsAddress(prefixText: string, addr: string): boolean {
  const n = parseNet(prefixText);
  const a = parseIp(addr);
  if (!n || !a) return false;
  const fam: Family = a.length === 4 ? 4 : 6;
  return fam === n.family && (toBig(a) & mask(fam, n.len)) === n.base;
}

export { familyOf };
