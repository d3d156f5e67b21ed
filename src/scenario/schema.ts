// The scenario file format (JSON): the device, the topology whose line rate the
// report checks, the HAL table entries to write, and the traffic to send. io-ts
// checks the shape and value ranges; addresses are checked when used and table
// entries by the HAL itself when written (so they get the HAL's own errors).
import { readFileSync } from 'node:fs';
import * as t from 'io-ts';
import { checkIp, checkMac, checkPrefix } from '../hal/values.js';
import { DataFileError, NonEmptyString, NonNegative, NonNegativeInt, Positive, PositiveInt, decodeFile, oneOf, strictObject } from '../sim/cost/decode.js';

const checked = (name: string, check: (s: string) => { message: string } | null) =>
  new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && !check(u),
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c, `expected ${name} text, got ${JSON.stringify(u)}`);
      const p = check(u);
      return p ? t.failure(u, c, `${JSON.stringify(u)} is not ${name}: ${p.message}`) : t.success(u);
    },
    t.identity,
  );
const Ip = checked('an IP address', checkIp);
const Prefix = checked('an IP prefix', checkPrefix);
const Mac = checked('a MAC address', checkMac);

const intIn = (lo: number, hi: number) =>
  new t.Type<number, number, unknown>(
    `an integer in ${lo}..${hi}`,
    (u): u is number => Number.isInteger(u) && (u as number) >= lo && (u as number) <= hi,
    (u, c) => (Number.isInteger(u) && (u as number) >= lo && (u as number) <= hi ? t.success(u as number) : t.failure(u, c, `expected an integer in ${lo}..${hi}, got ${JSON.stringify(u)}`)),
    t.identity,
  );
const fraction = new t.Type<number, number, unknown>(
  'a number in 0..1',
  (u): u is number => typeof u === 'number' && u >= 0 && u <= 1,
  (u, c) => (typeof u === 'number' && u >= 0 && u <= 1 ? t.success(u) : t.failure(u, c, `expected a number in 0..1, got ${JSON.stringify(u)}`)),
  t.identity,
);

const Endpoint = strictObject('endpoint', { port: NonEmptyString, ip: Ip, mac: Mac });

const GeneveOption = strictObject('Geneve option', { class: intIn(0, 0xffff), type: intIn(0, 255) }, { dataHex: t.string });

const Tunnel = strictObject(
  'tunnel',
  {
    type: t.keyof({ GENEVE: null, VXLAN: null }),
    vni: intIn(0, 0xffffff),
    /** The device's VTEP address (outer destination). */
    localIp: Ip,
    /** One remote VTEP per prefix of the side, in order: prefix i lives behind remotes[i]. */
    remotes: t.array(Ip),
  },
  { options: t.array(GeneveOption), innerDstMac: Mac },
);

const NetworkSide = strictObject(
  'network side',
  {
    /** Ports the side's packets arrive on (connections are spread over them). */
    ports: t.array(NonEmptyString),
    /** Source MAC of the side's frames (the peer router or remote VTEP next hop). */
    mac: Mac,
    prefixes: t.array(Prefix),
  },
  { tunnel: Tunnel, hostsPerPrefix: PositiveInt },
);

const EndpointSide = strictObject('endpoint side', { endpoints: t.array(Endpoint) });

export const Side = oneOf<t.TypeOf<typeof EndpointSide> | t.TypeOf<typeof NetworkSide>>('side', (u) => ('endpoints' in u ? EndpointSide : NetworkSide));

const Flow = strictObject(
  'flow',
  {
    name: NonEmptyString,
    protocol: t.keyof({ tcp: null, udp: null }),
    connections: PositiveInt,
    client: Side,
    server: Side,
    serverPort: intIn(1, 65535),
    /** Ethernet frame size with FCS (64..9216) of the client's and server's own (inner) packets. */
    packetSize: intIn(64, 9216),
  },
  { clientPorts: strictObject('port range', { lo: intIn(1, 65535), hi: intIn(1, 65535) }) },
);

const PpsRate = strictObject('rate', { pps: Positive });
const LineRate = strictObject('rate', { lineRate: Positive });
const Rate = oneOf<t.TypeOf<typeof PpsRate> | t.TypeOf<typeof LineRate>>('rate', (u) => ('pps' in u ? PpsRate : LineRate));

const Phase = strictObject(
  'phase',
  { name: NonEmptyString, rate: Rate },
  {
    /** Open this many connections (handshake packets), or "all" not yet opened. */
    open: t.union([PositiveInt, t.literal('all')]),
    /** Send this many packets on open connections, chosen at random (seeded). */
    packets: PositiveInt,
    /** Share of `packets` sent by the server side (replies). Default 0.5. */
    replyShare: fraction,
    arrival: t.keyof({ constant: null, poisson: null }),
    /** Flows this phase uses (default: all). */
    flows: t.array(NonEmptyString),
  },
);

export const ScenarioCodec = strictObject(
  'scenario',
  {
    name: NonEmptyString,
    description: NonEmptyString,
    topology: strictObject('topology', { ports: t.array(strictObject('topology port', { id: NonEmptyString, speedGbps: Positive })) }),
    tables: t.array(strictObject('table batch', { name: NonEmptyString, entries: t.array(t.UnknownRecord) }, { type: t.keyof({ INSERT: null, MODIFY: null }) })),
    traffic: strictObject('traffic', { seed: NonNegativeInt, flows: t.array(Flow), phases: t.array(Phase) }),
  },
  {
    device: strictObject('device', {}, { hostPorts: intIn(1, 256), scale: NonNegative, tableSizes: t.record(t.string, NonNegativeInt) }),
  },
);

export type Scenario = t.TypeOf<typeof ScenarioCodec>;
export type FlowSpec = t.TypeOf<typeof Flow>;
export type SideSpec = t.TypeOf<typeof Side>;
export type PhaseSpec = t.TypeOf<typeof Phase>;
export type TunnelSpec = t.TypeOf<typeof Tunnel>;

/** Shape, ranges and cross-references of a scenario; `file` names it in errors. */
export function parseScenario(doc: unknown, file: string): Scenario {
  const s = decodeFile(ScenarioCodec, doc, file);
  const err = (path: string, msg: string) => new DataFileError(file, path, msg);
  const flowNames = new Set<string>();
  s.traffic.flows.forEach((f, i) => {
    if (flowNames.has(f.name)) throw err(`traffic.flows[${i}].name`, `duplicate flow name "${f.name}"`);
    flowNames.add(f.name);
    for (const side of ['client', 'server'] as const) {
      const sd = f[side];
      const at = `traffic.flows[${i}].${side}`;
      if ('endpoints' in sd) {
        if (sd.endpoints.length === 0) throw err(`${at}.endpoints`, 'needs at least one endpoint');
      } else {
        if (sd.ports.length === 0) throw err(`${at}.ports`, 'needs at least one port');
        if (sd.prefixes.length === 0) throw err(`${at}.prefixes`, 'needs at least one prefix');
        if (sd.tunnel && sd.tunnel.remotes.length !== sd.prefixes.length) {
          throw err(`${at}.tunnel.remotes`, `needs one remote VTEP per prefix (${sd.prefixes.length}), got ${sd.tunnel.remotes.length}`);
        }
        sd.tunnel?.options?.forEach((o, j) => {
          if (o.dataHex !== undefined && !/^([0-9a-fA-F]{8})*$/.test(o.dataHex)) throw err(`${at}.tunnel.options[${j}].dataHex`, 'must be hex, a multiple of 4 bytes');
        });
      }
    }
    if (f.clientPorts && f.clientPorts.lo > f.clientPorts.hi) throw err(`traffic.flows[${i}].clientPorts`, `lo ${f.clientPorts.lo} is above hi ${f.clientPorts.hi}`);
  });
  if (s.traffic.flows.length === 0) throw err('traffic.flows', 'needs at least one flow');
  if (s.traffic.phases.length === 0) throw err('traffic.phases', 'needs at least one phase');
  s.traffic.phases.forEach((p, i) => {
    if ((p.open === undefined) === (p.packets === undefined)) throw err(`traffic.phases[${i}]`, 'give exactly one of "open" (connections to open) or "packets" (packets on open connections)');
    p.flows?.forEach((n, j) => {
      if (!flowNames.has(n)) throw err(`traffic.phases[${i}].flows[${j}]`, `no flow named "${n}"`);
    });
  });
  const ids = new Set<string>();
  s.topology.ports.forEach((p, i) => {
    if (ids.has(p.id)) throw err(`topology.ports[${i}].id`, `duplicate port "${p.id}"`);
    ids.add(p.id);
  });
  s.tables.forEach((b, i) =>
    b.entries.forEach((e, j) => {
      if (Object.keys(e).length !== 1) throw err(`tables[${i}].entries[${j}]`, `an entry names exactly one table, like {"route": {...}}; got keys ${JSON.stringify(Object.keys(e))}`);
    }),
  );
  return s;
}

export function readScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataFileError(file, '', `cannot read: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DataFileError(file, '', `not valid JSON: ${(e as Error).message}`);
  }
  return parseScenario(doc, file);
}
