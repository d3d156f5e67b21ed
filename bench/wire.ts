// The wire's figures for `npm run bench`: table writes over mutual TLS on
// loopback against `xpuhal serve` in its own process (as deployed: agent and
// manager are separate processes), batches of 1, 100 and 1000, and single-write
// latency. Compare with the in-process lines printed before: the ratio is the
// cost of the wire.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prefix, type Update } from '../src/hal/index.js';
import * as grpc from '@grpc/grpc-js';
import { RemoteHal, ReloadableServerCredentials, certsInit, clientCredentials, clientFiles } from '../src/wire/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const routeUpdate = (i: number): Update => ({
  type: 'INSERT',
  entry: { route: { prefix: prefix(`${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`), drop: {} } },
});

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function processCpu(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/**
 * Wall clock, plus CPU time on each side: on a shared machine the wall clock
 * moves with everyone else's load, while CPU per entry says what the wire and
 * the device cost.
 */
interface Meter {
  stop(): { secs: number; clientCpuUs: number; serverCpuUs: number };
}
function meter(serverPid: number, ops: number): Meter {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const s = processCpu(serverPid);
  return {
    stop() {
      const secs = Number(process.hrtime.bigint() - t) / 1e9;
      const cu = process.cpuUsage(c);
      return { secs, clientCpuUs: (cu.user + cu.system) / ops, serverCpuUs: ((processCpu(serverPid) - s) * 1e6) / ops };
    },
  };
}

async function withServer<T>(dir: string, use: (hal: RemoteHal, pid: number) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/xpuhal.js'), 'serve', '--driver', 'reference', '--driver-options', '{"scale":8}', '--listen', '127.0.0.1:0', '--tls-dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const target = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`xpuhal serve exited (${code})`)));
    });
    const hal = new RemoteHal({ target, serverName: 'localhost', credentials: clientCredentials(clientFiles(dir, 'bench')) });
    await hal.waitForReady();
    try {
      return await use(hal, child.pid!);
    } finally {
      await hal.close();
    }
  } finally {
    child.kill('SIGTERM');
  }
}

function line(label: string, ops: number, m: ReturnType<Meter['stop']>): void {
  const cpu = `client ${m.clientCpuUs.toFixed(1)} µs + server ${m.serverCpuUs.toFixed(1)} µs CPU per entry`;
  console.log(`${label.padEnd(52)} ${(ops / m.secs).toFixed(0).padStart(10)} entries/s  (${ops} in ${m.secs.toFixed(3)} s; ${cpu})`);
}

/**
 * The floor under the single-write figures: a bare grpc-js unary call (64-byte echo,
 * no HAL) over the same mTLS credentials, client and server in this process. What the
 * HAL adds is the difference; what this costs is grpc-js, HTTP/2 and TLS on this machine.
 */
export async function grpcEchoBaseline(dir: string): Promise<void> {
  const same = (b: Buffer) => b;
  const def = { echo: { path: '/bench.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same } };
  const server = new grpc.Server();
  server.addService(def, { echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request) });
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', new ReloadableServerCredentials(dir), (e, p) => (e ? rej(e) : res(p))));
  const Client = grpc.makeGenericClientConstructor(def, 'Echo');
  const client = new Client(`127.0.0.1:${port}`, clientCredentials(clientFiles(dir, 'bench')), { 'grpc.ssl_target_name_override': 'localhost' }) as unknown as {
    echo(b: Buffer, cb: (e: Error | null, v?: Buffer) => void): void;
    close(): void;
  };
  const call = () => new Promise<void>((res, rej) => client.echo(Buffer.alloc(64), (e) => (e ? rej(e) : res())));
  try {
    for (let i = 0; i < 500; i++) await call();
    const n = 5_000;
    const samples: number[] = [];
    const c = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      await call();
      samples.push(Number(process.hrtime.bigint() - t) / 1e3);
    }
    const cu = process.cpuUsage(c);
    samples.sort((a, b) => a - b);
    const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))].toFixed(1);
    console.log(`${'bare grpc-js unary echo, mTLS, one process'.padEnd(52)} p50 ${q(0.5)} µs  p90 ${q(0.9)} µs  p99 ${q(0.99)} µs  (CPU per call, both sides: ${((cu.user + cu.system) / n).toFixed(0)} µs)`);
  } finally {
    client.close();
    server.forceShutdown();
  }
}

export async function wireBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'xpuhal-bench-'));
  try {
    certsInit(dir, { clients: [{ name: 'bench', role: 'controller' }] });
    for (const [batch, total] of [[1, 5_000], [100, 50_000], [1000, 100_000]] as const) {
      await withServer(dir, async (hal, pid) => {
        const reqs = Array.from({ length: total / batch }, (_, k) => ({ updates: Array.from({ length: batch }, (_, j) => routeUpdate(k * batch + j)) }));
        const m = meter(pid, total);
        for (const r of reqs) await hal.write(r);
        line(`HAL write, over mTLS (loopback), batches of ${batch}`, total, m.stop());
      });
    }
    await withServer(dir, async (hal, pid) => {
      const samples: number[] = [];
      const m = meter(pid, 5_000);
      for (let i = 0; i < 5_000; i++) {
        const t = process.hrtime.bigint();
        await hal.write({ updates: [routeUpdate(i)] });
        samples.push(Number(process.hrtime.bigint() - t) / 1e3);
      }
      samples.sort((a, b) => a - b);
      const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))].toFixed(1);
      const cpu = m.stop();
      console.log(
        `${'HAL single write latency, over mTLS (loopback)'.padEnd(52)} p50 ${q(0.5)} µs  p90 ${q(0.9)} µs  p99 ${q(0.99)} µs  (CPU per call: client ${cpu.clientCpuUs.toFixed(0)} µs, server ${cpu.serverCpuUs.toFixed(0)} µs)`,
      );
    });
    await grpcEchoBaseline(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
