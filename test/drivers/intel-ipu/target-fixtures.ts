// Fixtures for the IPU target's tests: a running target with TLS, P4Runtime
// clients, and builders for P4 table entries from names and numbers.
import { expect } from 'chai';
import { canonical } from '../../../src/drivers/intel-ipu/p4rt/bytestrings.js';
import { P4RuntimeCallError, P4RuntimeClient } from '../../../src/drivers/intel-ipu/p4rt/client.js';
import type { FieldMatch, TableEntry, Update } from '../../../src/drivers/intel-ipu/p4rt/messages.js';
import { p4info } from '../../../src/drivers/intel-ipu/program/p4info.js';
import { ACTIONS, TABLES, type ActionName, type TableName } from '../../../src/drivers/intel-ipu/program/program.js';
import { IpuTarget, type TargetOptions } from '../../../src/drivers/intel-ipu/target/target.js';
import { devPki } from '../../../src/drivers/intel-ipu/tls.js';
import { HalError } from '../../../src/hal/errors.js';

export interface Running {
  readonly target: IpuTarget;
  readonly address: string;
  client(electionId?: bigint, role?: string): P4RuntimeClient;
  stop(): Promise<void>;
}

export async function startTarget(opts: Partial<TargetOptions> = {}): Promise<Running> {
  const pki = devPki();
  const target = new IpuTarget({ tls: { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey }, ...opts });
  const address = await target.start();
  const clients: P4RuntimeClient[] = [];
  return {
    target,
    address,
    client(electionId, role) {
      const c = new P4RuntimeClient({ address, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, serverName: 'localhost' }, deviceId: 1n, electionId, role });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await target.stop();
    },
  };
}

/** A primary controller with the pipeline loaded. */
export async function primary(r: Running, electionId = 10n): Promise<P4RuntimeClient> {
  const c = r.client(electionId);
  await c.openStream();
  expect(c.isPrimary).to.equal(true);
  if (!r.target.pipelineConfigured) await c.setPipeline('VERIFY_AND_COMMIT', { p4info: p4info(), p4DeviceConfig: Buffer.from('xpuhal_k8s_ipu'), cookie: { cookie: '7' } });
  return c;
}

type MatchSpec = Record<string, bigint | number | { value: number | bigint; mask: number | bigint } | { value: number | bigint; prefixLen: number } | { low: number | bigint; high: number | bigint } | { optional: number | bigint }>;

export function te(table: TableName, match: MatchSpec, action?: ActionName | { set: { action: ActionName; params?: Record<string, number | bigint>; weight: number }[] }, params: Record<string, number | bigint> = {}, priority = 0): TableEntry {
  const t = TABLES[table];
  const ms: FieldMatch[] = Object.entries(match).map(([name, v]) => {
    const f = t.fields.find((x) => x.name === name);
    if (!f) throw new Error(`no field ${name}`);
    const b = (x: number | bigint) => canonical(BigInt(x));
    if (typeof v === 'object' && 'mask' in v) return { fieldId: f.id, ternary: { value: b(v.value), mask: b(v.mask) } };
    if (typeof v === 'object' && 'prefixLen' in v) return { fieldId: f.id, lpm: { value: b(v.value), prefixLen: v.prefixLen } };
    if (typeof v === 'object' && 'low' in v) return { fieldId: f.id, range: { low: b(v.low), high: b(v.high) } };
    if (typeof v === 'object' && 'optional' in v) return { fieldId: f.id, optional: { value: b(v.optional) } };
    return { fieldId: f.id, exact: { value: b(v as number) } };
  });
  const call = (name: ActionName, ps: Record<string, number | bigint>) => {
    const a = ACTIONS[name];
    return { actionId: a.id, params: a.params.map((p) => ({ paramId: p.id, value: canonical(BigInt(ps[p.name] ?? 0)) })) };
  };
  const entry: TableEntry = { tableId: t.id, match: ms };
  if (typeof action === 'string') entry.action = { action: call(action, params) };
  else if (action) entry.action = { actionProfileActionSet: { actionProfileActions: action.set.map((x) => ({ action: call(x.action, x.params ?? {}), weight: x.weight })) } };
  if (priority) entry.priority = priority;
  return entry;
}

export const ins = (e: TableEntry): Update => ({ type: 'INSERT', entity: { tableEntry: e } });
export const mod = (e: TableEntry): Update => ({ type: 'MODIFY', entity: { tableEntry: e } });
export const del = (e: TableEntry): Update => ({ type: 'DELETE', entity: { tableEntry: e } });

export const ip4 = (s: string) => s.split('.').reduce((n, x) => n * 256 + Number(x), 0);

/** Awaits a call that must fail and returns its error. */
export async function failure(p: Promise<unknown>): Promise<P4RuntimeCallError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof P4RuntimeCallError) return e;
    throw e;
  }
  expect.fail('the call succeeded');
}

export async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  expect.fail(`timed out waiting for ${what}`);
}

/** The HalError a HAL call fails with; fails the test if it succeeds or throws something else. */
export async function refusal(p: Promise<unknown>): Promise<HalError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HalError) return e;
    throw e;
  }
  expect.fail('the call succeeded');
}
