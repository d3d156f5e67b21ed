// The NetworkPolicy cases (test/k8s/cases/netpol-cases.ts) on the reference
// driver: each case's policies are compiled, reconciled onto one device (the
// previous case's policy set is replaced, so the reconciler's diff is exercised
// too), and every probe is sent as a real frame from each pod to each other pod.
// The matrix is the assertion; denied flows must name a policy of the case.
// Twice: in process, and over gRPC with mutual TLS (the adapter holds a RemoteHal
// to a served reference device), since the adapter consumes only the Hal interface.
import { expect } from 'chai';
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { objectKey } from '../../src/k8s-adapter/index.js';
import { NETPOL_CASES } from './cases/netpol-cases.js';
import { NetpolWorld, PEERS, worldState } from './support/netpol-world.js';
import { serve, type Served } from '../wire/wire-fixtures.js';

for (const transport of ['in process', 'over gRPC (mTLS)'] as const) {
  describe(`k8s adapter: NetworkPolicy semantics (reference driver, one node, ${transport})`, function () {
    this.timeout(300_000);
    let world: NetpolWorld;
    let served: Served | undefined;
    before(async () => {
      if (transport === 'in process') world = await NetpolWorld.create();
      else {
        served = await serve(new ReferenceDriver({ hostPorts: 16 }));
        world = await NetpolWorld.create(served.client('ctl'));
      }
    });
    after(async () => {
      await served?.close();
    });

    it(`has at least 40 cases (${NETPOL_CASES.length})`, () => {
      expect(NETPOL_CASES.length).to.be.at.least(40);
    });

    for (const c of NETPOL_CASES) {
      it(c.name, async () => {
        const state = worldState([...c.policies], { dualStack: c.dualStack });
        await world.apply(state);
        const names = new Set(c.policies.map((p) => objectKey(p.metadata)));
        for (const probe of c.probes) {
          const rows: string[] = [];
          for (const from of PEERS) {
            let row = '';
            for (const to of PEERS) {
              if (from === to) {
                row += '-';
                continue;
              }
              const v = await world.send(from, to, probe, state);
              row += v.allowed ? '.' : 'X';
              if (!v.allowed) {
                for (const ref of v.policy.split(',')) expect(names.has(ref), `${from} -> ${to} denied by "${v.policy}" (${v.dropReason})`).to.equal(true);
              }
            }
            rows.push(row);
          }
          const label = `${probe.protocol}/${probe.port} IPv${probe.family ?? 4}`;
          expect(rows, `${label}\n${rows.join('\n')}`).to.deep.equal(probe.matrix);
        }
      });
    }
  });
}
