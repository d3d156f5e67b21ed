// The p4runtime-shell tier's scenario: the intel-ipu driver (primary, election
// id 1000) programs a pod network on its embedded target; the Python
// p4runtime-shell connects as a second controller (check_target.py): as a
// backup it reads and decodes what the driver wrote and is refused a write;
// (pod network and a service); as a new primary it inserts an endpoint entry, which a packet injected here
// must then use. Exit 0 when every check passed. Usage: scenario.ts <python>
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntelIpuDriver } from '../../../../src/drivers/intel-ipu/index.js';
import { P4INFO_TXT } from '../../../../src/drivers/intel-ipu/program/p4info.js';
import { devPki } from '../../../../src/drivers/intel-ipu/tls.js';
import type { TableEntry, Update } from '../../../../src/hal/index.js';
import { buildFrame, parsePacket } from '../../../../src/sim/packet/index.js';

const python = process.argv[2];
const here = dirname(fileURLToPath(import.meta.url));
const ins = (table: string, body: Record<string, unknown>): Update => ({ type: 'INSERT', entry: { [table]: body } as TableEntry });

const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

const hal = await IntelIpuDriver.connect({});
try {
  await hal.write({
    updates: [
      ins('endpoint', { ip: '10.0.0.2', portId: 'host0', mac: '0a:00:00:00:00:02', endpointId: 'ns/a' }),
      ins('endpoint', { ip: '10.0.0.3', portId: 'host1', mac: '0a:00:00:00:00:03', endpointId: 'ns/b', isolatedIngress: true }),
      ins('neighbor', { ip: '192.168.0.1', mac: '0b:00:00:00:00:01' }),
      ins('nexthop', { id: 'gw', port: { portId: 'uplink0', ip: '192.168.0.1' } }),
      ins('nexthop', { id: 'gw2', port: { portId: 'uplink1', dmac: '0b:00:00:00:00:02' } }),
      ins('ecmpGroup', { id: 'up', members: [{ nexthopId: 'gw' }, { nexthopId: 'gw2', weight: 3 }] }),
      ins('route', { prefix: '0.0.0.0/0', nexthopId: 'gw' }),
      ins('route', { prefix: '20.0.0.0/8', ecmpGroupId: 'up' }),
      ins('route', { prefix: '30.0.0.0/8', drop: {} }),
      ins('acl', { stage: 'ACL_INGRESS', endpointId: 'ns/b', srcPrefix: '10.0.0.0/24', protocol: 6, dstPorts: { lo: 80, hi: 80 }, priority: 100 }),
      ins('acl', { stage: 'ACL_EGRESS', protocol: 17, priority: 5, action: 'ACL_DENY' }),
      // A service: group web (pointer 1 → selector groups 2 active, 3 standby; DNAT pointers 1, 2).
      ins('backendGroup', { id: 'web', members: [{ ip: '10.1.0.1', port: 8080, weight: 2 }, { ip: '10.1.0.2', port: 8080, state: 'MEMBER_TERMINATING' }] }),
      ins('service', { vip: '10.96.0.10', protocol: 6, port: 80, balance: { backendGroupId: 'web' } }),
      ins('serviceSource', { vip: '10.96.0.10', protocol: 6, port: 80, source: '198.51.100.0/24', allow: {} }),
    ],
  });
  const pki = devPki();
  const addr = hal.target!.address;
  // Asynchronous: the target serves from this process's event loop.
  // `whileReady` runs when the script prints READY (it then waits for a line on stdin).
  const py = (phase: string, whileReady?: () => Promise<void>) =>
    new Promise<void>((resolve) => {
      const child = spawn(python, [join(here, 'check_target.py'), phase, addr, pki.files.ca, pki.files.clientCert, pki.files.clientKey, P4INFO_TXT], { stdio: ['pipe', 'pipe', 'inherit'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        process.stdout.write(d);
        buf += d.toString();
        if (buf.includes('READY\n') && whileReady) {
          const run = whileReady;
          whileReady = undefined;
          void run().finally(() => child.stdin.end('done\n'));
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        check(code === 0, `p4runtime-shell ${phase} phase exited ${code ?? signal}`);
        resolve();
      });
      if (!whileReady) child.stdin.end();
    });
  await py('backup');

  // Before the shell takes over, 10.0.0.50 is unknown: routed by default to uplink0.
  const send = () => hal.inject({ portId: 'host0', frame: buildFrame({ eth: { src: '0a:00:00:00:00:02', dst: '02:00:00:00:00:03' }, ipv4: { src: '10.0.0.2', dst: '10.0.0.50' }, tcp: { sport: 5000, dport: 443 } }) });
  check((await send()).emitted?.[0]?.portId === 'uplink0', 'before: 10.0.0.50 follows the default route out of uplink0');
  let sawReady = false;
  await py('primary', async () => {
    sawReady = true;
    const after = await send();
    const out = after.emitted?.[0];
    const p = out?.frame ? parsePacket(out.frame) : undefined;
    check(out?.portId === 'host2' && p?.ok === true && p.pkt.eth.dst === '0a:00:00:00:00:50', `after: the shell's ipv4_to_port entry delivers 10.0.0.50 to host2 / 0a:00:00:00:00:50 (got ${out?.portId})`);
    // The shell is primary now: the driver's writes are refused by the device.
    const refused = await hal.write({ updates: [ins('neighbor', { ip: '1.1.1.1', mac: '0a:00:00:00:00:11' })] }).then(
      () => 'accepted',
      (e: { reason?: string }) => e.reason,
    );
    check(refused === 'ROLE_FORBIDDEN', `the driver, now a backup, is refused (${refused})`);
  });
  check(sawReady, 'the shell reached READY as primary');
  // With the shell gone, the driver's stream holds the highest election id again.
  const back = await hal.write({ updates: [ins('neighbor', { ip: '1.1.1.1', mac: '0a:00:00:00:00:11' })] }).then(
    () => 'accepted',
    (e: { reason?: string }) => e.reason,
  );
  check(back === 'accepted', `after the shell disconnects the driver is primary again (${back})`);
} finally {
  await hal.close();
}
console.log(failures.length ? `p4runtime-shell tier: ${failures.length} check(s) failed` : 'p4runtime-shell tier: all checks passed');
process.exit(failures.length ? 1 : 0);
