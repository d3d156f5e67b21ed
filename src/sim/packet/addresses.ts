// Address text <-> bytes for the packet codec. Parsed packets carry canonical
// text so tests, logs and policy tables compare addresses as plain strings; the
// one implementation of that text lives in src/hal/addresses.ts.
export { formatIpv4, formatIpv6, formatMac } from '../../hal/addresses.js';
export { parseIp as parseIpText, parseIpv4 as parseIpv4Text, parseIpv6 as parseIpv6Text } from '../../hal/addresses.js';

/** `aa:bb:cc:dd:ee:ff` or `aa-bb-…` (any case) to 6 bytes; null when invalid. Lenient for frame specs. */
export function parseMacText(text: string): Uint8Array | null {
  if (!/^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/.test(text)) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(text.slice(i * 3, i * 3 + 2), 16);
  return out;
}

