// The offline source: a directory (or file) of YAML/JSON manifests, parsed with
// client-node's YAML loader. Objects of kinds the adapter does not read are
// ignored; objects of its kinds with a wrong shape are reported and skipped.
// Where a cluster's controllers would create EndpointSlices, they are derived
// from Services and Pods (deriveEndpointSlices), and the result says so.
import { loadAllYaml } from '@kubernetes/client-node';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterState, EndpointSlice, Namespace, NetworkPolicy, Node, Pod, Service } from '../cluster-state.js';
import type { Problem } from '../compile/context.js';
import { deriveEndpointSlices } from './derive-endpoint-slices.js';
import { KNOWN_KINDS, NAMESPACED_KINDS, shapeProblem } from './object-shape.js';

export interface LoadedManifests {
  readonly state: ClusterState;
  readonly problems: Problem[];
  readonly notes: string[];
  readonly files: string[];
}

export interface OfflineOptions {
  /** Derive EndpointSlices for Services that have none (default true). */
  readonly deriveEndpointSlices?: boolean;
}

function manifestFiles(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  return readdirSync(path)
    .filter((n) => /\.(ya?ml|json)$/.test(n))
    .sort()
    .map((n) => join(path, n))
    .filter((p) => statSync(p).isFile());
}

/** Parses manifest text (several documents, `kind: List` expanded) into cluster state. */
export function parseManifests(texts: readonly { name: string; text: string }[], opts: OfflineOptions = {}): LoadedManifests {
  const problems: Problem[] = [];
  const notes: string[] = [];
  const out = { namespaces: [] as Namespace[], pods: [] as Pod[], services: [] as Service[], endpointSlices: [] as EndpointSlice[], networkPolicies: [] as NetworkPolicy[], nodes: [] as Node[] };
  const seen = new Set<string>();
  const add = (o: unknown, where: string) => {
    if (typeof o !== 'object' || o === null) return;
    const obj = o as Record<string, unknown>;
    const kind = String(obj.kind ?? '');
    if (kind === 'List' && Array.isArray(obj.items)) {
      obj.items.forEach((item, i) => add(item, `${where} items[${i}]`));
      return;
    }
    if (!KNOWN_KINDS.has(kind)) return;
    const meta = (obj.metadata ?? {}) as Record<string, unknown>;
    // kubectl's default namespace for namespaced objects written without one.
    if (NAMESPACED_KINDS.has(kind) && typeof meta === 'object' && meta !== null && meta.namespace === undefined) {
      obj.metadata = { ...meta, namespace: 'default' };
    }
    const problem = shapeProblem(kind, obj);
    const name = `${(obj.metadata as Record<string, unknown> | undefined)?.namespace ?? ''}/${(obj.metadata as Record<string, unknown> | undefined)?.name ?? '(unnamed)'}`.replace(/^\//, '');
    if (problem) {
      problems.push({ object: `${kind} ${name}`, message: `${where}: ${problem}; skipped` });
      return;
    }
    const id = `${kind} ${name}`;
    if (seen.has(id)) {
      problems.push({ object: id, message: `${where}: defined twice; the later definition is skipped` });
      return;
    }
    seen.add(id);
    switch (kind) {
      case 'Namespace':
        out.namespaces.push(obj as unknown as Namespace);
        break;
      case 'Pod':
        out.pods.push(obj as unknown as Pod);
        break;
      case 'Service':
        out.services.push(obj as unknown as Service);
        break;
      case 'EndpointSlice':
        out.endpointSlices.push(obj as unknown as EndpointSlice);
        break;
      case 'NetworkPolicy':
        out.networkPolicies.push(obj as unknown as NetworkPolicy);
        break;
      case 'Node':
        out.nodes.push(obj as unknown as Node);
        break;
    }
  };
  for (const { name, text } of texts) {
    let docs: unknown[];
    try {
      docs = loadAllYaml(text);
    } catch (err) {
      problems.push({ object: name, message: `not valid YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}; file skipped` });
      continue;
    }
    docs.forEach((d, i) => add(d, `${name} document ${i + 1}`));
  }
  if (opts.deriveEndpointSlices ?? true) {
    const derived = deriveEndpointSlices(out);
    out.endpointSlices.push(...derived.slices);
    notes.push(...derived.notes);
  }
  return { state: out, problems, notes, files: texts.map((t) => t.name) };
}

/** Reads every *.yaml, *.yml and *.json file of a directory (sorted), or one file. */
export function loadManifests(path: string, opts: OfflineOptions = {}): LoadedManifests {
  const files = manifestFiles(path);
  return parseManifests(
    files.map((f) => ({ name: f, text: readFileSync(f, 'utf8') })),
    opts,
  );
}
