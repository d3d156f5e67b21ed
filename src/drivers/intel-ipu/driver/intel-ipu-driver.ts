// The intel-ipu driver: the HAL as a P4Runtime controller. Writes are validated
// as the HAL says (shared checks, then this device's support, then state rules
// against an intent cache), translated into P4 table entries (translate.ts) and
// written to the target with the mapped atomicity; the cache follows only what
// the device accepted. Reads, the digest and counters come from the device.
import { readFileSync } from 'node:fs';
import {
  HAL_VERSION,
  HalError,
  checkUpdate,
  checkWrite,
  makeEntry,
  memberOf,
  messageCodec,
  halCodec,
  problemsOf,
  stateDigest,
  statusOf,
  tableByName,
  tableCapabilities,
  valueSupport,
  type ValueSupport,
  type CallOptions,
  type CaptureRequest,
  type CaptureResponse,
  type ClockResponse,
  type ConntrackEntry,
  type DeleteConntrackResponse,
  type DescribeResponse,
  type EntryRecord,
  type Event,
  type GetCountersResponse,
  type Hal,
  type InjectRequest,
  type InjectResponse,
  type ListPortsResponse,
  type ReadRequest,
  type StateResponse,
  type Subscription,
  type TableSchema,
  type TableSupport,
  type UpdateStatus,
  type ValidUpdate,
  type WriteRequest,
  type WriteResponse,
  type FieldSchema,
  type FormatProblem,
  checkId,
  checkIp,
  checkMac,
  checkPrefix,
} from '../../../hal/index.js';
import { TableStore } from '../../../sim/state/table-store.js';
import { P4RuntimeCallError, P4RuntimeClient, type ClientTls } from '../p4rt/client.js';
import type { Atomicity as P4Atomicity, TableEntry, Update as P4Update } from '../p4rt/messages.js';
import { p4info } from '../program/p4info.js';
import { PROGRAM_NAME, PROGRAM_VERSION, TABLES, type TableName } from '../program/program.js';
import { IpuTarget } from '../target/target.js';
import { targetPorts } from '../target/ports.js';
import { devPki } from '../tls.js';
import { HAL_TO_P4, HAL_TO_P4_ALL, IPU_ATOMICITY, IPU_FEATURES, IPU_MAX_BATCH, IPU_NOTES, ipuTables } from './capabilities.js';
import { IdSpace } from './ids.js';
import { TestPortClient } from './test-port.js';
import { Unresolved, Untranslatable, fromP4, metaOf, toP4, type Body, type HalRow, type Pointers, type PortMap } from './translate.js';
import { SERVICE_P4_TABLES, SERVICE_TABLES, bindServicePointers, servicePointers, servicesFromP4, translateService } from './translate-services.js';

export interface IntelIpuOptions {
  /** host:port of a P4Runtime server (infrap4d: 9559). Absent: start an embedded simulated target. */
  readonly address?: string;
  /** PEM contents or file paths: CA to verify the server, and our client certificate and key (mTLS). */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** TLS name to verify when the address is an IP (default "localhost" for the embedded target). */
  readonly serverName?: string;
  readonly deviceId?: number | string;
  /** This controller's election id (default 1000). */
  readonly electionId?: number | string;
  readonly role?: string;
  /** Port names and P4 port numbers; default: the target's test-port ListPorts, numbered 1.. in order. */
  readonly ports?: readonly { name: string; number: number }[];
  /** Embedded target: host-facing ports (default 16) and table sizes (capacity tests). */
  readonly hostPorts?: number;
  readonly tableSizes?: Readonly<Record<string, number>>;
}

const pem = (v: string) => Buffer.from(v.includes('-----BEGIN') ? v : readFileSync(v, 'utf8'));

/** Installed in this order on a (re)sync, so references resolve. */
const SYNC_ORDER = ['port', 'nexthop', 'tunnel', 'tunnel-nexthop', 'ecmp_group', 'neighbor', 'endpoint', 'route', 'acl', 'tunnel_term', 'backend_group', 'service', 'service_source'];

interface Planned {
  status: UpdateStatus;
  update?: ValidUpdate;
  forward: P4Update[];
  inverse: P4Update[];
}

const P4_TO_HAL: Record<number, [Parameters<typeof statusOf>[0], Parameters<typeof statusOf>[1]]> = {
  5: ['NOT_FOUND', 'ENTRY_NOT_FOUND'],
  6: ['ALREADY_EXISTS', 'ENTRY_EXISTS'],
  8: ['RESOURCE_EXHAUSTED', 'TABLE_FULL'],
  12: ['UNIMPLEMENTED', 'FEATURE_UNSUPPORTED'],
  7: ['PERMISSION_DENIED', 'ROLE_FORBIDDEN'],
};

export class IntelIpuDriver implements Hal {
  private readonly tables: Record<string, TableSupport>;
  private readonly shadow: TableStore;
  private readonly ptr: Pointers = { nexthop: new IdSpace('next-hop', 0xffff), ecmp: new IdSpace('ECMP group', 0xffff), epTag: new IdSpace('endpoint tag', 0xffff), tunnel: new IdSpace('tunnel', TABLES.tunnel_encap.size) };
  /** Backend group and DNAT pointers of the service path (translate-services.ts). */
  private readonly sp = servicePointers();
  private portByName = new Map<string, number>();
  private portByNumber = new Map<number, string>();
  private readonly portMap: PortMap = { number: (n) => this.portByName.get(n), name: (n) => this.portByNumber.get(n) };
  /** Ports that have a port_config entry on the device (MODIFY of a port row is INSERT or MODIFY there). */
  private readonly portConfigured = new Set<string>();
  private generation = 0;
  private testPort?: TestPortClient;
  private virtualTime = false;

  private constructor(
    private readonly client: P4RuntimeClient,
    private readonly embedded: IpuTarget | undefined,
    ports: readonly { name: string; number: number }[],
    tableSizes: Readonly<Record<string, number>>,
  ) {
    for (const p of ports) {
      this.portByName.set(p.name, p.number);
      this.portByNumber.set(p.number, p.name);
    }
    this.tables = ipuTables(tableSizes, ports.length);
    const limits: Record<string, { maxEntries: number; maxGroupMembers?: number }> = {};
    for (const [name, s] of Object.entries(this.tables)) limits[name] = { maxEntries: s.maxEntries, maxGroupMembers: s.maxGroupMembers };
    this.shadow = new TableStore(limits);
    const portTable = tableByName('port')!;
    for (const p of ports) this.shadow.seed(portTable, JSON.stringify([p.name]), { id: p.name, adminUp: true });
  }

  /** The embedded simulated target, when the driver started one (tests, `sim` tools). */
  get target(): IpuTarget | undefined {
    return this.embedded;
  }

  static async connect(options: IntelIpuOptions = {}): Promise<IntelIpuDriver> {
    let embedded: IpuTarget | undefined;
    let address = options.address;
    let tls: ClientTls;
    if (!address) {
      const pki = devPki();
      embedded = new IpuTarget({ tls: { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey }, hostPorts: options.hostPorts, tableSizes: options.tableSizes });
      address = await embedded.start();
      tls = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, serverName: options.serverName ?? 'localhost' };
    } else {
      if (!options.ca) throw HalError.of('FIELD_MISSING', 'a remote target needs ca (and cert/key for mTLS)', 'ca');
      tls = { ca: pem(options.ca), ...(options.cert && { cert: pem(options.cert) }), ...(options.key && { key: pem(options.key) }), ...(options.serverName && { serverName: options.serverName }) };
    }
    const client = new P4RuntimeClient({ address, tls, deviceId: BigInt(options.deviceId ?? 1), electionId: BigInt(options.electionId ?? 1000), role: options.role });
    try {
      const arb = await client.openStream();
      if (!client.isPrimary) {
        throw HalError.of('ROLE_FORBIDDEN', `another controller is primary (election id ${arb.electionId?.low ?? '?'}); this driver's election id ${options.electionId ?? 1000} lost arbitration`);
      }
      const testPort = new TestPortClient(address, tls);
      let ports = options.ports;
      let virtualTime = false;
      try {
        await testPort.now();
        virtualTime = true;
        if (!ports) ports = ((await testPort.listPorts()).ports ?? []).map((p, i) => ({ name: p.id!, number: i + 1 }));
      } catch {
        testPort.close();
      }
      if (!ports) ports = targetPorts(0).map((p) => ({ name: p.name, number: p.number }));
      const driver = new IntelIpuDriver(client, embedded, ports, options.tableSizes ?? {});
      if (virtualTime) {
        driver.testPort = testPort;
        driver.virtualTime = true;
      }
      await driver.loadPipeline();
      return driver;
    } catch (e) {
      client.close();
      await embedded?.stop();
      if (e instanceof HalError) throw e;
      throw HalError.of('DEVICE_UNAVAILABLE', `P4Runtime target at ${address}: ${(e as Error).message}`);
    }
  }

  /** Loads the program unless the device already runs it; then rebuilds the intent cache from the device. */
  private async loadPipeline(): Promise<void> {
    const got = await this.client.getPipeline('P4INFO_AND_COOKIE');
    const running = got.config?.p4info;
    const same = running && JSON.stringify((running as { pkgInfo?: unknown }).pkgInfo) === JSON.stringify(p4info().toJSON().pkgInfo);
    if (!same) {
      await this.client.setPipeline('VERIFY_AND_COMMIT', { p4info: p4info(), p4DeviceConfig: Buffer.from('xpuhal_k8s_ipu'), cookie: { cookie: '1' } });
      return;
    }
    await this.resync();
  }

  /** The intent cache and pointer maps from what the device holds. */
  private async resync(): Promise<void> {
    const rows = await this.readDevice(false);
    for (const [t, entries] of rows) {
      for (const e of entries) {
        const md = e.metadata?.length ? (JSON.parse(Buffer.from(e.metadata).toString()) as { id?: string; ep?: string }) : {};
        const key = e.match?.[0]?.exact?.value;
        if (t === 'nexthop' && md.id && key) this.ptr.nexthop.bind(md.id, Number(Buffer.from(key).readUIntBE(0, key.length)));
        if (t === 'ecmp_group' && md.id && key) this.ptr.ecmp.bind(md.id, Number(Buffer.from(key).readUIntBE(0, key.length)));
        if (t === 'tunnel_encap' && md.id && key) this.ptr.tunnel.bind(md.id, Number(Buffer.from(key).readUIntBE(0, key.length)));
        const tag = t === 'ipv4_to_port' || t === 'ipv6_to_port' ? e.action?.action?.params?.find((p) => p.paramId === 3)?.value : t === 'acl' ? e.match?.find((m) => m.fieldId === 2)?.optional?.value : undefined;
        if (md.ep && tag) this.ptr.epTag.bind(md.ep, Number(Buffer.from(tag).readUIntBE(0, tag.length)));
        bindServicePointers(t, e, metaOf(e), this.sp);
      }
    }
    const hal = [...fromP4(rows, this.ptr, this.portMap), ...servicesFromP4(rows, this.sp)];
    // Tunnel next hops come after the tunnels, which come after their underlay next hops.
    const kind = (r: HalRow) => (r.table === 'nexthop' && r.body.tunnelId ? 'tunnel-nexthop' : r.table);
    for (const table of SYNC_ORDER) {
      for (const r of hal.filter((x) => kind(x) === table)) {
        const c = checkUpdate({ type: r.table === 'port' ? 'MODIFY' : 'INSERT', entry: makeEntry(memberOf(r.table), r.body) }, 0);
        if (c.ok) this.shadow.apply(c.update, 'sync');
        if (table === 'port') this.portConfigured.add(r.body.id as string);
      }
    }
  }

  private async readDevice(counters: boolean, only?: readonly TableName[]): Promise<Map<TableName, TableEntry[]>> {
    const names = only ?? (Object.keys(TABLES) as TableName[]);
    const entities = names.map((n) => ({ tableEntry: { tableId: TABLES[n].id, ...(counters && TABLES[n] && 'counterId' in TABLES[n] && { counterData: {} }) } }));
    let got;
    try {
      got = await this.client.read(entities);
    } catch (e) {
      throw deviceError(e);
    }
    const out = new Map<TableName, TableEntry[]>(names.map((n) => [n, []]));
    const byId = new Map(names.map((n) => [TABLES[n].id as number, n]));
    for (const ent of got) {
      const n = byId.get(ent.tableEntry?.tableId ?? 0);
      if (n) out.get(n)!.push(ent.tableEntry!);
    }
    return out;
  }

  /** Every HAL row the device holds: port rows for every port, then the translated tables. */
  private async deviceRows(counters: boolean, halTables?: readonly string[]): Promise<HalRow[]> {
    const wanted = halTables ?? Object.keys(HAL_TO_P4);
    const p4names = [...new Set(wanted.flatMap((t) => ((SERVICE_TABLES as readonly string[]).includes(t) ? SERVICE_P4_TABLES : HAL_TO_P4_ALL[t])))];
    const device = await this.readDevice(counters, p4names);
    let rows: HalRow[];
    try {
      rows = [...fromP4(device, this.ptr, this.portMap), ...servicesFromP4(device, this.sp).filter((r) => wanted.includes(r.table))];
    } catch (e) {
      // hal-spec §8: an entry the device holds but the driver cannot return faithfully.
      throw HalError.of('DRIVER_FAULT', `the device holds entries that do not translate back: ${(e as Error).message}`);
    }
    const configured = new Map(rows.filter((r) => r.table === 'port').map((r) => [r.body.id as string, r]));
    const out: HalRow[] = [];
    if (!halTables || halTables.includes('port')) for (const name of this.portByName.keys()) out.push(configured.get(name) ?? { table: 'port', body: { id: name, adminUp: true } });
    for (const r of rows) if (r.table !== 'port') out.push(r);
    return out.map((r) => ({ ...r, body: canonicalBody(r.table, r.body) }));
  }

  // ------------------------------------------------------------------ Hal: device

  async describe(): Promise<DescribeResponse> {
    return {
      identity: { vendor: 'xpuhal', model: this.embedded ? 'ipu-sim (P4Runtime)' : 'P4Runtime target', driver: 'intel-ipu', serial: `p4rt-device-${this.client.options.deviceId}`, halVersion: HAL_VERSION, pipelineVersion: `${PROGRAM_NAME}-${PROGRAM_VERSION}` },
      capabilities: {
        tables: tableCapabilities(this.tables, (t) => this.shadow.count(t)),
        atomicityModes: [...IPU_ATOMICITY],
        features: [...IPU_FEATURES],
        conntrack: { supported: false },
        crypto: {},
        qos: {},
        telemetry: { perEntryCounters: true },
        packetIo: { inject: this.virtualTime, capture: this.virtualTime, trace: this.virtualTime, virtualTime: this.virtualTime },
        maxBatchSize: IPU_MAX_BATCH,
        notes: [...IPU_NOTES],
      },
    };
  }

  async listPorts(): Promise<ListPortsResponse> {
    if (this.testPort) return this.testPort.listPorts();
    return { ports: [...this.portByName.keys()].map((id) => ({ id, role: 'PORT_ROLE_UNSPECIFIED' as const })) };
  }

  async getState(): Promise<StateResponse> {
    const rows = await this.deviceRows(false);
    const usage: Record<string, number> = {};
    for (const t of Object.keys(this.tables)) usage[t] = 0;
    for (const r of rows) usage[r.table]++;
    return { generation: this.generation, digest: stateDigest(rows.map((r) => ({ table: tableByName(r.table)!, body: r.body }))), usage };
  }

  // ------------------------------------------------------------------ Hal: write

  /** hal-spec §5.4 step 4 for this device: declared tables, actions and values the program can carry. */
  private support(u: ValidUpdate): UpdateStatus | undefined {
    const path = `updates[${u.index}].entry.${u.member}`;
    if (!this.tables[u.table.name]) return statusOf('UNIMPLEMENTED', 'TABLE_UNSUPPORTED', `table ${u.table.name} is not offloaded by this program`, path);
    // The shared value checks (ACL_REJECT, affinity, SNAT modes, ...) against what describe() declares.
    this.valueCheck ??= valueSupport({ tables: tableCapabilities(this.tables, () => 0), features: [...IPU_FEATURES], conntrack: { supported: false }, crypto: {}, qos: {}, telemetry: { perEntryCounters: true } });
    return this.valueCheck(u);
  }
  private valueCheck?: ValueSupport;

  /**
   * `configured`: ports with a port_config entry once the batch's earlier updates
   * are applied, so a second MODIFY of a port in one batch is a P4 MODIFY.
   */
  private translate(u: ValidUpdate, before: Body | undefined, configured: Set<string>): { forward: P4Update[]; inverse: P4Update[] } {
    const t = u.table.name;
    if ((SERVICE_TABLES as readonly string[]).includes(t)) {
      return translateService(t, u.type as 'INSERT' | 'MODIFY' | 'DELETE', u.body, before, { sp: this.sp, othersWithKey: (b) => this.sourcesWithKey(b, u.key) });
    }
    const entries = (b: Body) => toP4(t, b, this.ptr, this.portMap);
    const up = (type: 'INSERT' | 'MODIFY' | 'DELETE', es: TableEntry[]): P4Update[] => es.map((e) => ({ type, entity: { tableEntry: type === 'DELETE' ? { ...e, action: undefined, metadata: undefined } : e } }));
    if (t === 'port') {
      const had = configured.has(u.body.id as string);
      if (u.type !== 'MODIFY') return { forward: [], inverse: [] };
      const now = entries(u.body);
      const ops = { forward: up(had ? 'MODIFY' : 'INSERT', now), inverse: had ? up('MODIFY', entries(before!)) : up('DELETE', now) };
      configured.add(u.body.id as string);
      return ops;
    }
    if (u.type === 'INSERT') return { forward: up('INSERT', entries(u.body)), inverse: up('DELETE', entries(u.body)) };
    if (u.type === 'MODIFY') return { forward: up('MODIFY', entries(u.body)), inverse: up('MODIFY', entries(before!)) };
    return { forward: up('DELETE', entries(before!)), inverse: up('INSERT', entries(before!)) };
  }

  async write(req: WriteRequest, opts?: CallOptions): Promise<WriteResponse> {
    if (opts?.signal?.aborted) throw HalError.of('CALL_CANCELLED', 'the call was cancelled before it started');
    const checked = checkWrite(req, { maxBatchSize: IPU_MAX_BATCH, atomicityModes: IPU_ATOMICITY });
    if (checked.expectedGeneration && checked.expectedGeneration !== this.generation) {
      throw HalError.of('GENERATION_MISMATCH', `expected generation ${checked.expectedGeneration}, the device is at ${this.generation}`, 'expectedGeneration');
    }
    const atomic = checked.atomicity !== 'CONTINUE_ON_ERROR';
    // Phase 1: HAL semantics against the intent cache, and the translation. The
    // cache is rolled back: it only follows what the device accepts (phase 3).
    const plan: Planned[] = this.shadow.transaction((rollback) => {
      const out: Planned[] = [];
      const configured = new Set(this.portConfigured);
      for (const c of checked.updates) {
        if (!c.ok) {
          out.push({ status: c.status, forward: [], inverse: [] });
          if (atomic) break;
          continue;
        }
        const u = c.update;
        const path = `updates[${u.index}].entry.${u.member}`;
        let status = this.support(u);
        let ops = { forward: [] as P4Update[], inverse: [] as P4Update[] };
        if (!status) {
          const before = this.shadow.get(u.table.name, u.key)?.body;
          let unresolved = false;
          try {
            // MODIFY/DELETE of a missing entry: the cache reports ENTRY_NOT_FOUND below.
            if (u.type === 'INSERT' || before) ops = this.translate(u, before, configured);
          } catch (e) {
            if (e instanceof Unresolved) unresolved = true;
            else if (e instanceof Untranslatable) status = statusOf('UNIMPLEMENTED', 'FEATURE_UNSUPPORTED', e.message, e.field ? `${path}.${e.field}` : path);
            else throw e;
          }
          // A name with no P4 number is a missing reference: the cache says which (REFERENCE_MISSING).
          if (!status && unresolved) {
            status = this.shadow.apply(u, path);
            if (status.code === 'OK') throw HalError.of('DRIVER_FAULT', `update ${u.index} names an object the driver cannot number`);
          }
        }
        status ??= this.shadow.apply(u, path);
        out.push({ status, update: u, ...(status.code === 'OK' ? ops : { forward: [], inverse: [] }) });
        if (atomic && status.code !== 'OK') break;
      }
      rollback();
      return out;
    });
    let statuses: UpdateStatus[];
    if (atomic && plan.some((p) => p.status.code !== 'OK')) {
      statuses = rolledBack(checked.updates.length, plan.length - 1, plan[plan.length - 1].status);
    } else {
      statuses = await this.commit(plan, atomic ? (checked.atomicity as P4Atomicity) : 'CONTINUE_ON_ERROR', checked.updates.length);
    }
    this.pruneIds();
    if (statuses.some((s) => s.code === 'OK')) this.generation++;
    const failed = statuses.filter((s) => s.code !== 'OK').length;
    // The cache follows exactly what the device accepted, and keeps the multiset
    // digest per update: O(1) here. GetState recomputes it from a full device read.
    const digest = this.shadow.digest();
    if (failed === 0) return { generation: this.generation, digest };
    throw new HalError('UNKNOWN', 'REASON_UNSPECIFIED', `${failed} of ${statuses.length} updates failed`, { updates: statuses, generation: this.generation, digest });
  }

  /** Phases 2 and 3: one P4Runtime Write for the batch, then the cache follows what the device accepted. */
  private async commit(plan: Planned[], atomicity: P4Atomicity, n: number): Promise<UpdateStatus[]> {
    const updates = plan.flatMap((p) => p.forward);
    let codes: { code: number; message: string }[] = updates.map(() => ({ code: 0, message: '' }));
    if (updates.length) {
      try {
        await this.client.write(updates, atomicity);
      } catch (e) {
        if (!(e instanceof P4RuntimeCallError) || !e.errors || e.errors.length !== updates.length) throw deviceError(e);
        codes = e.errors.map((x) => ({ code: x.canonicalCode ?? 0, message: x.message ?? '' }));
      }
    }
    const statuses: UpdateStatus[] = [];
    let at = 0;
    const compensate: P4Update[] = [];
    let firstFailed = -1;
    this.shadow.transaction(() => {
      for (const [i, p] of plan.entries()) {
        const mine = codes.slice(at, at + p.forward.length);
        at += p.forward.length;
        if (p.status.code !== 'OK') {
          statuses.push(p.status);
          continue;
        }
        const bad = mine.findIndex((c) => c.code !== 0 && c.code !== 10);
        if (bad >= 0 || mine.some((c) => c.code === 10)) {
          if (bad >= 0 && firstFailed < 0) firstFailed = i;
          // Undo the parts of this update the device did apply (CONTINUE_ON_ERROR).
          if (atomicity === 'CONTINUE_ON_ERROR') mine.forEach((c, j) => c.code === 0 && compensate.push(p.inverse[j]));
          const c = bad >= 0 ? mine[bad] : { code: 10, message: 'rolled back' };
          const [code, reason] = P4_TO_HAL[c.code] ?? ['INTERNAL', 'DRIVER_FAULT'];
          statuses.push(statusOf(code, reason, `the device refused the translated entry: ${c.message}`, `updates[${p.update!.index}].entry.${p.update!.member}`));
          continue;
        }
        const s = this.shadow.apply(p.update!, `updates[${p.update!.index}].entry.${p.update!.member}`);
        if (s.code !== 'OK') compensate.push(...p.inverse);
        else this.noteApplied(p.update!);
        statuses.push(s);
      }
    });
    if (compensate.length) {
      try {
        await this.client.write(compensate.reverse(), 'CONTINUE_ON_ERROR');
      } catch (e) {
        throw HalError.of('DRIVER_FAULT', `could not undo a partly applied update on the device: ${(e as Error).message}`);
      }
    }
    if (atomicity !== 'CONTINUE_ON_ERROR' && firstFailed >= 0) return rolledBack(n, firstFailed, statuses[firstFailed]);
    return statuses;
  }

  /** service_source entries in the intent cache with the service key of `b`, other than the one keyed `self`. */
  private sourcesWithKey(b: Body, self: string): number {
    const same = (x: Body) => (x.vrf ?? 0) === (b.vrf ?? 0) && x.vip === b.vip && x.protocol === b.protocol && (x.port ?? 0) === (b.port ?? 0);
    let n = 0;
    for (const e of this.shadow.entries('service_source')) if (e.key !== self && same(e.body)) n++;
    return n;
  }

  private noteApplied(u: ValidUpdate): void {
    if (u.table.name === 'port' && u.type === 'MODIFY') this.portConfigured.add(u.body.id as string);
  }

  /** Pointers of objects the cache no longer holds are freed. */
  private pruneIds(): void {
    const keep = (t: string) => new Set([...this.shadow.entries(t)].map((e) => e.body.id as string));
    const nh = keep('nexthop');
    const grp = keep('ecmp_group');
    const tun = keep('tunnel');
    const eps = new Set([...this.shadow.entries('endpoint'), ...this.shadow.entries('acl')].map((e) => e.body.endpointId as string).filter(Boolean));
    const bgs = keep('backend_group');
    const dnats = new Set([...this.shadow.entries('backend_group')].flatMap((e) => ((e.body.members as Body[] | undefined) ?? []).map((m) => `${e.body.id as string}|${m.ip as string}|${m.port as number}`)));
    for (const [space, live] of [[this.ptr.nexthop, nh], [this.ptr.ecmp, grp], [this.ptr.epTag, eps], [this.ptr.tunnel, tun], [this.sp.group, bgs], [this.sp.dnat, dnats]] as const) {
      for (const n of space.names()) if (!live.has(n)) space.free(n);
    }
  }

  // ------------------------------------------------------------------ Hal: read

  async read(req: ReadRequest): Promise<EntryRecord[]> {
    const r = halCodec<ReadRequest>('ReadRequest').decode(req);
    if (r._tag === 'Left') {
      const p = problemsOf(r.left)[0];
      throw HalError.of(p.reason, p.message, p.fieldPath);
    }
    const names = req.tables?.length ? req.tables : Object.keys(this.tables);
    const schemas: TableSchema[] = names.map((n, i) => {
      const t = tableByName(n);
      if (!t) throw HalError.of('FIELD_INVALID', `no table named "${n}"`, `tables[${i}]`);
      if (!this.tables[n]) throw HalError.of('TABLE_UNSUPPORTED', `table ${n} is not offloaded by this program`, `tables[${i}]`);
      return t;
    });
    const filters = req.filters ?? [];
    if (filters.length && schemas.length !== 1) throw HalError.of('FIELD_INVALID', 'filters need exactly one table', 'filters');
    filters.forEach((f, i) => {
      const k = schemas[0].keyFields.find((x) => x.name === f.field);
      if (!k || k.match === 'RANGE') {
        throw HalError.of('KEY_MISMATCH', `"${f.field}" is not a filterable key field of ${schemas[0].name} (${schemas[0].keyFields.filter((x) => x.match !== 'RANGE').map((x) => x.name).join(', ')})`, `filters[${i}].field`);
      }
      const p = filterProblem(k, f.equals ?? '');
      if (p) throw HalError.of(p.reason, p.message, `filters[${i}].equals`);
    });
    const rows = await this.deviceRows(req.includeCounters === true, schemas.map((s) => s.name));
    const out: EntryRecord[] = [];
    for (const t of schemas) {
      const mine = rows.filter((x) => x.table === t.name && filters.every((f) => filterText(t, f.field!, x.body[f.field!]) === (f.equals ?? '')));
      const keyed = mine.map((x) => ({ x, key: JSON.stringify(t.keyFields.map((k) => x.body[k.name] ?? null)) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const { x } of keyed) {
        const rec: EntryRecord = { entry: makeEntry(memberOf(t.name), x.body) };
        if (req.includeCounters && this.tables[t.name].perEntryCounters) rec.counters = x.counters ?? { packets: 0, bytes: 0 };
        if (t.name === 'port') rec.deviceOwned = true;
        out.push(rec);
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ Hal: the rest

  async listConntrack(): Promise<ConntrackEntry[]> {
    throw HalError.of('FEATURE_UNSUPPORTED', 'this program has no connection tracking the HAL can read (conntrack.supported is false)');
  }
  async getConntrack(): Promise<ConntrackEntry> {
    throw HalError.of('FEATURE_UNSUPPORTED', 'this program has no connection tracking the HAL can read (conntrack.supported is false)');
  }
  async deleteConntrack(): Promise<DeleteConntrackResponse> {
    throw HalError.of('FEATURE_UNSUPPORTED', 'this program has no connection tracking the HAL can read (conntrack.supported is false)');
  }

  async getCounters(): Promise<GetCountersResponse> {
    if (!this.testPort) return { drops: {}, tables: [], injected: { packets: 0, bytes: 0 }, emitted: { packets: 0, bytes: 0 } };
    const c = await this.testPort.counters();
    // The target counts its P4 tables; the HAL names logical tables.
    const byHal = new Map<string, { lookups: number; hits: number }>();
    for (const t of c.tables ?? []) {
      const hal = P4_TO_HAL_TABLE[t.table ?? ''];
      if (!hal) continue;
      const x = byHal.get(hal) ?? { lookups: 0, hits: 0 };
      x.lookups += Number(t.lookups ?? 0);
      x.hits += Number(t.hits ?? 0);
      byHal.set(hal, x);
    }
    return { ...c, tables: [...byHal].sort().map(([table, x]) => ({ table, ...x })) };
  }

  subscribe(_req: unknown, _onEvent: (e: Event) => void, onError?: (err: Error) => void): Subscription {
    queueMicrotask(() => onError?.(HalError.of('FEATURE_UNSUPPORTED', 'this device emits no events')));
    return { close: () => undefined };
  }

  private requireTestPort(what: string): TestPortClient {
    if (!this.testPort) throw HalError.of('FEATURE_UNSUPPORTED', `${what} needs the target's test-port API, which this target does not serve`);
    return this.testPort;
  }

  async inject(req: InjectRequest): Promise<InjectResponse> {
    const tp = this.requireTestPort('Inject');
    if (!req.portId) throw HalError.of('FIELD_MISSING', 'portId is required', 'portId');
    if (!this.portByName.has(req.portId)) throw HalError.of('ENTRY_NOT_FOUND', `no port "${req.portId}"`, 'portId');
    // hal-spec §14.1: empty bytes are no frame (proto3 cannot tell them apart on the wire).
    if (!(req.frame instanceof Uint8Array) || req.frame.length === 0) throw HalError.of('FIELD_MISSING', 'frame (bytes) is required and must not be empty', 'frame');
    const time = req.timeNs ?? 0;
    if (!Number.isSafeInteger(time) || time < 0) throw HalError.of('FIELD_INVALID', 'timeNs must be a non-negative integer', 'timeNs');
    if (time !== 0 && time < ((await tp.now()).nowNs ?? 0)) throw HalError.of('FIELD_INVALID', `timeNs ${time} is before the device clock`, 'timeNs');
    return tp.inject(req.portId, req.frame, time);
  }

  async capture(req: CaptureRequest): Promise<CaptureResponse> {
    const tp = this.requireTestPort('Capture');
    (req.portIds ?? []).forEach((p, i) => {
      if (!this.portByName.has(p)) throw HalError.of('ENTRY_NOT_FOUND', `no port "${p}"`, `portIds[${i}]`);
    });
    return tp.capture(req.portIds ?? [], req.maxPackets ?? 0, req.peek === true);
  }

  async now(): Promise<ClockResponse> {
    return this.requireTestPort('Clock').now();
  }

  async advance(ns: number): Promise<ClockResponse> {
    const tp = this.requireTestPort('Clock');
    if (!Number.isSafeInteger(ns) || ns < 0) throw HalError.of('FIELD_INVALID', 'advanceNs must be a non-negative integer', 'advanceNs');
    return tp.advance(ns);
  }

  async close(): Promise<void> {
    this.client.close();
    this.testPort?.close();
    await this.embedded?.stop();
  }
}

const P4_TO_HAL_TABLE: Record<string, string> = Object.fromEntries([
  ...Object.entries(HAL_TO_P4_ALL).flatMap(([h, ps]) => ps.map((p) => [p, h])),
  ['pinned_flows', 'service'],
  ['pinned_flows_reverse', 'service'],
]);

function rolledBack(n: number, failed: number, s: UpdateStatus): UpdateStatus[] {
  return Array.from({ length: n }, (_, i) =>
    i === failed ? s : { code: 'ABORTED' as const, reason: 'BATCH_ROLLED_BACK' as const, message: `not applied: update ${failed} failed and the batch was rolled back` },
  );
}

function deviceError(e: unknown): HalError {
  if (e instanceof HalError) return e;
  if (e instanceof P4RuntimeCallError) {
    if (e.code === 7) return HalError.of('ROLE_FORBIDDEN', `the P4Runtime target refused: ${e.message} (another controller may have become primary)`);
    return HalError.of('DEVICE_UNAVAILABLE', `the P4Runtime target failed the call (gRPC code ${e.code}): ${e.message}`);
  }
  return HalError.of('DRIVER_FAULT', (e as Error).message ?? String(e));
}

/** A body as the HAL's codec canonicalises it (defaults dropped), for digests and reads. */
function canonicalBody(table: string, body: Body): Body {
  const r = messageCodec(tableByName(table)!.type).decode(body);
  return r._tag === 'Right' ? (r.right as Body) : body;
}

/** hal-spec §8: a filter value must be valid and canonical for its field. */
function filterProblem(k: FieldSchema, text: string): FormatProblem | null {
  if (text === '' && (k.explicitPresence || k.match === 'OPTIONAL' || k.match === 'PREFIX')) return null;
  const values = (k.field.resolvedType as { values?: Record<string, number> } | null)?.values;
  if (values) return text in values ? null : { reason: 'FIELD_INVALID', message: `"${text}" is not one of ${Object.keys(values).join(', ')}` };
  if (k.field.type === 'string') {
    const check = { IP: checkIp, IP_PREFIX: checkPrefix, MAC: checkMac, ID: checkId }[k.format as string];
    return check ? check(text) : null;
  }
  return /^(0|[1-9][0-9]*)$/.test(text) ? null : { reason: 'FIELD_INVALID', message: `"${text}" is not a decimal number` };
}

/** A key value as Read filters compare it (hal-spec §8): absent compares as its default. */
function filterText(t: TableSchema, field: string, v: unknown): string {
  if (v !== undefined) return String(v);
  const k = t.keyFields.find((x) => x.name === field)!;
  if (k.explicitPresence || k.match === 'OPTIONAL' || k.match === 'PREFIX' || k.field.type === 'string') return '';
  const values = (k.field.resolvedType as { values?: Record<string, number> } | null)?.values;
  if (values) return Object.keys(values).find((n) => values[n] === 0) ?? '';
  return '0';
}
