// The target's ports: two uplinks and N host-facing virtual ports, numbered
// from 1 (P4Runtime SDN port numbers start at 1), each with a locally
// administered MAC 02:00:00:00:<hi>:<lo> of its number.
import { formatMac, type PortRole } from '../../../hal/index.js';

export interface TargetPort {
  readonly name: string;
  readonly number: number;
  readonly role: PortRole;
  readonly mac: string;
  readonly macBytes: Uint8Array;
  readonly speedBps: number;
}

export function targetPorts(hostPorts: number): TargetPort[] {
  const names: [string, PortRole][] = [['uplink0', 'UPLINK'], ['uplink1', 'UPLINK'], ...Array.from({ length: hostPorts }, (_, i): [string, PortRole] => [`host${i}`, 'HOST'])];
  return names.map(([name, role], i) => {
    const n = i + 1;
    const macBytes = Uint8Array.from([0x02, 0, 0, 0, n >> 8, n & 0xff]);
    return { name, number: n, role, mac: formatMac(macBytes), macBytes, speedBps: 200e9 / Math.max(2, names.length) };
  });
}
