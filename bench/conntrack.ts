// Conntrack table figures for `npm run bench`: commit rate, the established hit
// path (classify + update) at N live connections, and heap bytes per connection.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { VirtualClock } from '../src/sim/clock.js';
import { ConntrackTable, CtEntry, type Tuple } from '../src/sim/conntrack/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function tuples(n: number): { orig: Tuple[]; reply: Tuple[] } {
  const orig: Tuple[] = [];
  const reply: Tuple[] = [];
  for (let i = 0; i < n; i++) {
    const src = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const dst = `172.16.${(i >> 12) & 15}.${(i >> 4) & 255}`;
    const sport = 1024 + (i % 60000);
    orig.push({ srcIp: src, dstIp: dst, protocol: 6, srcPort: sport, dstPort: 443 });
    reply.push({ srcIp: dst, dstIp: src, protocol: 6, srcPort: 443, dstPort: sport });
  }
  return { orig, reply };
}

function line(label: string, ops: number, secs: number, unit: string): void {
  console.log(`${label.padEnd(52)} ${(ops / secs).toFixed(0).padStart(10)} ${unit}/s  (${ops} in ${secs.toFixed(3)} s)`);
}

export function conntrackBench(n: number, hits: number): void {
  const { orig, reply } = tuples(n);
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const clock = new VirtualClock();
  const ct = new ConntrackTable({ clock, maxEntries: n });
  let t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const v = ct.classify(0, orig[i], 0x02, 0);
    if (v.state === 'NEW') ct.commit(0, orig[i], undefined, { policyRef: 'bench' }, 0x02, 64, 0);
  }
  line(`conntrack classify+commit (new), ${n} connections`, n, Number(process.hrtime.bigint() - t) / 1e9, 'conns');
  gc();
  const perConn = (process.memoryUsage().heapUsed - heap0) / n;
  for (let i = 0; i < n; i++) {
    const e = ct.get(0, reply[i])!;
    ct.update(e, 'reply', 0x12, 64, 1);
    ct.update(e, 'original', 0x10, 64, 1);
  }
  // Established hit path: alternate directions over a pseudo-random walk of the table.
  let x = 12345;
  t = process.hrtime.bigint();
  for (let i = 0; i < hits; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const k = x % n;
    const tuple = i & 1 ? reply[k] : orig[k];
    const v = ct.classify(0, tuple, 0x10, 2);
    ct.update(v.entry as CtEntry, v.direction!, 0x10, 64, 2);
  }
  line(`conntrack classify+update (hit), ${n} live`, hits, Number(process.hrtime.bigint() - t) / 1e9, 'packets');
  console.log(`${`conntrack heap per connection, ${n} live`.padEnd(52)} ${perConn.toFixed(0).padStart(10)} bytes (both directions)`);
  // Expiry: advance past every timeout; all end through the queue.
  t = process.hrtime.bigint();
  clock.advance(432_001e9);
  line(`conntrack expiry of ${n} connections`, n - ct.size, Number(process.hrtime.bigint() - t) / 1e9, 'conns');
}

// Alone: npx tsx bench/conntrack.ts [connections] [hits]
if (import.meta.url === `file://${process.argv[1]}`) conntrackBench(Number(process.argv[2] ?? 500_000), Number(process.argv[3] ?? 2_000_000));
