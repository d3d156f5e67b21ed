// `xpuhal k8s run --config FILE`: the node settings the cluster objects do not say
// (NodeConfig minus the node name), from YAML or JSON — in a cluster, the
// adapter's ConfigMap (deploy/adapter-config.yaml). Every field is checked; a bad
// one stops the adapter with its path before it touches the device.
import { loadAllYaml } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { HalError } from '../hal/errors.js';
import type { NodeConfig } from '../k8s-adapter/index.js';

// deviceFeatures is not configured: the adapter reads it from the device.
export type NodeConfigFile = Partial<Omit<NodeConfig, 'nodeName' | 'deviceFeatures'>>;

type Check = (v: unknown, path: string) => unknown;

const bad = (path: string, want: string, v: unknown) => HalError.of('FIELD_INVALID', `${path} must be ${want}, got ${JSON.stringify(v)}`, path);

const str: Check = (v, p) => {
  if (typeof v !== 'string') throw bad(p, 'a string', v);
  return v;
};
const bool: Check = (v, p) => {
  if (typeof v !== 'boolean') throw bad(p, 'true or false', v);
  return v;
};
const int = (lo: number, hi: number): Check => (v, p) => {
  if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) throw bad(p, `an integer ${lo}..${hi}`, v);
  return v;
};
const oneOf = (...allowed: string[]): Check => (v, p) => {
  if (typeof v !== 'string' || !allowed.includes(v)) throw bad(p, allowed.join(' | '), v);
  return v;
};
const mac: Check = (v, p) => {
  if (typeof v !== 'string' || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(v)) throw bad(p, 'a MAC address like 02:fa:b0:00:00:01', v);
  return v.toLowerCase();
};
const cidr: Check = (v, p) => {
  const [addr, len, extra] = typeof v === 'string' ? v.split('/') : [];
  const family = addr ? isIP(addr) : 0;
  const n = Number(len);
  if (!family || extra !== undefined || !/^\d+$/.test(len ?? '') || n > (family === 4 ? 32 : 128)) throw bad(p, 'a CIDR like 10.244.0.0/16', v);
  return v;
};
const list = (each: Check): Check => (v, p) => {
  if (!Array.isArray(v)) throw bad(p, 'a list', v);
  return v.map((x, i) => each(x, `${p}[${i}]`));
};

const FIELDS: Record<keyof NodeConfigFile, Check> = {
  hostPorts: list(str),
  uplinkPort: str,
  fabricMac: mac,
  overlay: oneOf('vxlan', 'geneve', 'direct'),
  vni: int(1, 16_777_215),
  clusterCidrs: list(cidr),
  serviceCidrs: list(cidr),
  masqueradeOutside: bool,
  defaultRoute: bool,
  nodePortAddresses: list(cidr),
  zone: str,
  proxyName: str,
  vrf: int(0, 4095),
};

/** Checks a parsed document; field paths start at `config`. */
export function parseNodeConfigFile(doc: unknown): NodeConfigFile {
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw bad('config', 'a mapping of node settings', doc);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (k === 'nodeName') throw HalError.of('FIELD_INVALID', 'config.nodeName is not read from the file: pass --node (in a DaemonSet, from the downward API)', 'config.nodeName');
    const check = FIELDS[k as keyof NodeConfigFile];
    if (!check) throw HalError.of('FIELD_INVALID', `config.${k} is not a node setting (known: ${Object.keys(FIELDS).join(', ')})`, `config.${k}`);
    out[k] = check(v, `config.${k}`);
  }
  return out as NodeConfigFile;
}

export function loadNodeConfigFile(path: string): NodeConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw HalError.of('FIELD_INVALID', `--config ${path}: ${(e as Error).message}`, 'config');
  }
  let doc: unknown;
  // Only comments (a ConfigMap left at its defaults): client-node's YAML loader refuses an empty document.
  if (!text.split('\n').some((l) => l.trim() && !l.trim().startsWith('#'))) return {};
  try {
    doc = path.endsWith('.json') ? JSON.parse(text) : loadAllYaml(text)[0];
  } catch (e) {
    throw HalError.of('FIELD_INVALID', `--config ${path} is not ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`, 'config');
  }
  return parseNodeConfigFile(doc);
}
