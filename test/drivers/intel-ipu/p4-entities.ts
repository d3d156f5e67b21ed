// Reading what the intel-ipu driver wrote, as a second P4Runtime client does, and
// comparing it with hand-translated entities (ids of match kinds, action types,
// metadata and match order left out: they are checked elsewhere).
import { expect } from 'chai';
import type { IntelIpuDriver } from '../../../src/drivers/intel-ipu/index.js';
import { P4RuntimeClient } from '../../../src/drivers/intel-ipu/p4rt/client.js';
import type { TableEntry as P4Entry } from '../../../src/drivers/intel-ipu/p4rt/messages.js';
import { TABLES } from '../../../src/drivers/intel-ipu/program/program.js';
import { devPki } from '../../../src/drivers/intel-ipu/tls.js';

export type P4Table = keyof typeof TABLES;

/** Every entry of `table` on the driver's embedded target, read over P4Runtime. */
export async function p4read(hal: IntelIpuDriver, table: P4Table): Promise<P4Entry[]> {
  const pki = devPki();
  const c = new P4RuntimeClient({ address: hal.target!.address, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, serverName: 'localhost' }, deviceId: 1n });
  try {
    return (await c.read([{ tableEntry: { tableId: TABLES[table].id } }])).map((e) => e.tableEntry!);
  } finally {
    c.close();
  }
}

/** Entities as sortable text: bytes as arrays, empty lists dropped, matches by field id. */
export const normP4 = (es: P4Entry[]): string[] =>
  es
    .map((e) =>
      JSON.stringify({ ...e, metadata: undefined, action: { ...e.action, type: undefined }, match: [...(e.match ?? [])].sort((a, b) => (a.fieldId ?? 0) - (b.fieldId ?? 0)).map((m) => ({ ...m, fieldMatchType: undefined })) }, (_k, v) =>
        v instanceof Uint8Array || (v && v.type === 'Buffer') ? [...Buffer.from(v.data ?? v)] : Array.isArray(v) && v.length === 0 ? undefined : v,
      ),
    )
    .sort();

/** Each named table holds exactly the expected entities. */
export async function expectP4(hal: IntelIpuDriver, expected: Partial<Record<P4Table, P4Entry[]>>): Promise<void> {
  for (const [table, want] of Object.entries(expected)) expect(normP4(await p4read(hal, table as P4Table)), table).to.deep.equal(normP4(want));
}
