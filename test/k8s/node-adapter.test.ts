// NodeAdapter: network_programming_duration_seconds from the EndpointSlice
// trigger-time annotation (wall clock injected), problems logged once, and
// concurrent syncs coalesced into one more pass with the latest state.
import { expect } from 'chai';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { NodeAdapter, loadManifests, nodeConfig, type ClusterState, type EndpointSlice } from '../../src/k8s-adapter/index.js';

const EXAMPLE = join(fileURLToPath(import.meta.url), '..', '..', '..', 'examples', 'k8s', 'two-node');
const START = Date.parse('2026-01-01T00:00:00Z');

function withTrigger(state: ClusterState, iso: string): ClusterState {
  const slices = state.endpointSlices.map((s): EndpointSlice => (s.metadata.labels?.['kubernetes.io/service-name'] === 'web' ? { ...s, metadata: { ...s.metadata, annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': iso } } } : s));
  return { ...state, endpointSlices: slices };
}

describe('k8s adapter: NodeAdapter', () => {
  const base = loadManifests(EXAMPLE).state;

  it('observes programming latency once per new trigger time, not for triggers older than the adapter', async () => {
    let now = START;
    const adapter = new NodeAdapter({ hal: new ReferenceDriver({ hostPorts: 16 }), config: nodeConfig({ nodeName: 'node-1', hostPorts: ['host0', 'host1'] }), now: () => now });
    now = START + 2000;
    let r = await adapter.sync(withTrigger(base, new Date(START - 60_000).toISOString()));
    expect([r.converged, r.programmingSeconds]).to.deep.equal([true, []]);
    now = START + 5000;
    r = await adapter.sync(withTrigger(base, new Date(START + 4250).toISOString()));
    expect(r.programmingSeconds).to.deep.equal([0.75]);
    r = await adapter.sync(withTrigger(base, new Date(START + 4250).toISOString()));
    expect(r.programmingSeconds, 'same trigger: nothing new').to.deep.equal([]);
    const text = await adapter.metrics.text();
    expect(text).to.match(/network_programming_duration_seconds_count\{node="node-1"\} 1/);
    expect(text).to.match(/network_programming_duration_seconds_bucket\{le="1",node="node-1"\} 1/);
  });

  it('logs problems once while they last; coalesces syncs that arrive during a pass', async () => {
    const logs: string[] = [];
    const adapter = new NodeAdapter({ hal: new ReferenceDriver({ hostPorts: 16 }), config: nodeConfig({ nodeName: 'node-1', hostPorts: ['host0'] }), log: (l) => logs.push(l) });
    const bad: ClusterState = { ...base, networkPolicies: [{ kind: 'NetworkPolicy', metadata: { name: 'bad', namespace: 'x' }, spec: { podSelector: {}, policyTypes: ['Sideways'] } }] };
    const [a, b, c] = await Promise.all([adapter.sync(bad), adapter.sync(bad), adapter.sync(base)]);
    expect([a.converged, b.converged, c.converged]).to.deep.equal([true, true, true]);
    expect(c.desired.problems).to.deep.equal([]);
    expect(logs.filter((l) => /problem: NetworkPolicy x\/bad/.test(l))).to.have.length(1);
    expect(await adapter.metrics.text()).to.match(/xpuhal_adapter_object_problems\{node="node-1"\} 0/);
  });
});
