// Starts the real kube-apiserver + etcd test environment (scripts/k8s/testenv),
// built once by scripts/k8s/build-testenv.sh, and stops it again. Like envtest:
// an API server and its store on loopback, no controllers, no kubelets.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The binary's path, building it when missing (progress on stderr), or why it cannot be had. */
export function testenvBinary(): { path: string } | { reason: string } {
  const r = spawnSync('bash', [join(ROOT, 'scripts/k8s/build-testenv.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  if (r.status === 0 && last) return { path: last };
  return { reason: `scripts/k8s/build-testenv.sh exited ${r.status}${r.error ? `: ${r.error.message}` : ''}` };
}

export class TestEnv {
  private constructor(
    private child: ChildProcess,
    private readonly binary: string,
    readonly dir: string,
    readonly kubeconfigPath: string,
  ) {}

  static async start(binary: string, timeoutMs = 180_000): Promise<TestEnv> {
    const dir = mkdtempSync(join(tmpdir(), 'xpuhal-k8s-'));
    const { child, kubeconfig } = await launch(binary, dir, timeoutMs);
    return new TestEnv(child, binary, dir, kubeconfig);
  }

  /**
   * Stops the API server and etcd and starts them again on the same directory:
   * etcd keeps its data, certificates and ports are reused, so clients reconnect
   * with their kubeconfig. With compactHistory, etcd's history is compacted to its
   * current revision first (as the apiserver's periodic compaction would), so a
   * watch resuming from an older version gets 410 Gone from the cache or etcd alike.
   */
  async restart(opts: { compactHistory?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await this.kill();
    const { child, kubeconfig } = await launch(this.binary, this.dir, opts.timeoutMs ?? 180_000, opts.compactHistory ? ['--compact-history'] : []);
    this.child = child;
    if (kubeconfig !== this.kubeconfigPath) throw new Error(`restarted environment wrote ${kubeconfig}, not ${this.kubeconfigPath}`);
  }

  private async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function launch(binary: string, dir: string, timeoutMs: number, extra: readonly string[] = []): Promise<{ child: ChildProcess; kubeconfig: string }> {
  // stdin stays open: the environment exits when it closes (if this process dies).
  const child = spawn(binary, ['--dir', dir, ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const kubeconfig = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`kube-apiserver not ready after ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the test environment exited (${code}) before it was ready; stderr: ${stderr}`));
    });
  });
  return { child, kubeconfig };
}
