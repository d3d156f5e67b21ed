// Branded value types. A value of one of these types has been checked and is in
// canonical form; the constructors below are the way to get one.
import { formatIp, hostBitsZero, parseIp, parseIpv4, parseIpv6, parseMac, parsePrefix, formatMac } from './addresses.js';
import { HalError } from './errors.js';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type Ipv4 = Brand<string, 'Ipv4'>;
export type Ipv6 = Brand<string, 'Ipv6'>;
export type IpAddress = Ipv4 | Ipv6;
export type IpPrefix = Brand<string, 'IpPrefix'>;
export type Mac = Brand<string, 'Mac'>;
export type L4Port = Brand<number, 'L4Port'>;
export type Vni = Brand<number, 'Vni'>;
export type Spi = Brand<number, 'Spi'>;

/** A check result: null when valid, else why not (and whether it is only non-canonical). */
export interface FormatProblem {
  readonly reason: 'FIELD_INVALID' | 'NOT_CANONICAL';
  readonly message: string;
}

const invalid = (message: string): FormatProblem => ({ reason: 'FIELD_INVALID', message });

export function checkIpv4(text: string): FormatProblem | null {
  return parseIpv4(text) ? null : invalid(`"${text}" is not an IPv4 address`);
}

export function checkIpv6(text: string): FormatProblem | null {
  const b = text.includes(':') ? parseIpv6(text) : null;
  if (!b) return invalid(`"${text}" is not an IPv6 address`);
  const canonical = formatIp(b);
  return canonical === text ? null : { reason: 'NOT_CANONICAL', message: `"${text}" is not canonical (RFC 5952): use "${canonical}"` };
}

export function checkIp(text: string): FormatProblem | null {
  return text.includes(':') ? checkIpv6(text) : checkIpv4(text);
}

/**
 * True when `text` is a valid, canonical IPv4 prefix, scanned without
 * allocating (the common case on the write path). False means "look closer",
 * not "invalid".
 */
function isCanonicalIpv4Prefix(text: string): boolean {
  const n = text.length;
  let addr = 0;
  let part = 0;
  let v = 0;
  let digits = 0;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 || c === 47) {
      if (digits === 0 || v > 255) return false;
      addr = addr * 256 + v;
      part++;
      v = 0;
      digits = 0;
      if (c === 47) break;
      if (part > 3) return false;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && v === 0) return false;
      if (++digits > 3) return false;
      v = v * 10 + (c - 48);
    } else return false;
  }
  if (part !== 4 || i >= n - 1 || n - i - 1 > 2) return false;
  let len = 0;
  for (let j = i + 1; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57 || (j === i + 1 && c === 48 && n - i - 1 > 1)) return false;
    len = len * 10 + (c - 48);
  }
  if (len > 32) return false;
  // Host bits: the address modulo 2^(32 - len) must be zero.
  return len === 32 || addr % 2 ** (32 - len) === 0;
}

export function checkPrefix(text: string): FormatProblem | null {
  if (isCanonicalIpv4Prefix(text)) return null;
  const p = parsePrefix(text);
  if (!p) return invalid(`"${text}" is not an IP prefix (address/length)`);
  const addrText = text.slice(0, text.indexOf('/'));
  const addrProblem = checkIp(addrText);
  if (addrProblem) return addrProblem;
  if (!hostBitsZero(p.bytes, p.length)) {
    const masked = p.bytes.slice();
    for (let bit = p.length; bit < masked.length * 8; bit++) masked[bit >> 3] &= ~(0x80 >> (bit & 7));
    return { reason: 'NOT_CANONICAL', message: `"${text}" has host bits set: use "${formatIp(masked)}/${p.length}"` };
  }
  return null;
}

export function checkMac(text: string): FormatProblem | null {
  const b = parseMac(text);
  if (!b) return invalid(`"${text}" is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  const canonical = formatMac(b);
  return canonical === text ? null : { reason: 'NOT_CANONICAL', message: `"${text}" is not canonical: use "${canonical}"` };
}

const checkUint = (v: number, max: number, what: string, min = 0): FormatProblem | null =>
  Number.isInteger(v) && v >= min && v <= max ? null : invalid(`${v} is not a valid ${what} (${min}..${max})`);

export const checkL4Port = (v: number) => checkUint(v, 65535, 'L4 port');
export const checkVni = (v: number) => checkUint(v, 0xffffff, 'VNI');
// RFC 4303: SPI values 1..255 are reserved by IANA, 0 is never sent.
export const checkSpi = (v: number) => checkUint(v, 0xffffffff, 'SPI', 256);

const ID_PATTERN = /^[A-Za-z0-9._:/-]{1,128}$/;
export function checkId(text: string): FormatProblem | null {
  return ID_PATTERN.test(text) ? null : invalid(`"${text}" is not an id (1..128 of [A-Za-z0-9._:/-])`);
}

function construct<T>(problem: FormatProblem | null, value: unknown): T {
  if (problem) throw HalError.of(problem.reason, problem.message);
  return value as T;
}

/** Canonicalizing constructors: accept any valid text, return the canonical brand. */
export function ipv4(text: string): Ipv4 {
  return construct<Ipv4>(checkIpv4(text), text);
}
export function ipv6(text: string): Ipv6 {
  const b = text.includes(':') ? parseIpv6(text) : null;
  if (!b) throw HalError.of('FIELD_INVALID', `"${text}" is not an IPv6 address`);
  return formatIp(b) as Ipv6;
}
export function ip(text: string): IpAddress {
  return text.includes(':') ? ipv6(text) : ipv4(text);
}
export function prefix(text: string): IpPrefix {
  const p = parsePrefix(text);
  if (!p) throw HalError.of('FIELD_INVALID', `"${text}" is not an IP prefix (address/length)`);
  return construct<IpPrefix>(p.hostBitsZero ? null : checkPrefix(text), `${formatIp(p.bytes)}/${p.length}`);
}
export function mac(text: string): Mac {
  const b = parseMac(text);
  if (!b) throw HalError.of('FIELD_INVALID', `"${text}" is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return formatMac(b) as Mac;
}
export const l4Port = (v: number): L4Port => construct<L4Port>(checkL4Port(v), v);
export const vni = (v: number): Vni => construct<Vni>(checkVni(v), v);
export const spi = (v: number): Spi => construct<Spi>(checkSpi(v), v);

/** Address bytes of a branded (hence valid) address. */
export function ipBytes(addr: IpAddress | string): Uint8Array {
  const b = parseIp(addr);
  if (!b) throw HalError.of('FIELD_INVALID', `"${addr}" is not an IP address`);
  return b;
}
