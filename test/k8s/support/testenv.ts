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
    private readonly child: ChildProcess,
    readonly dir: string,
    readonly kubeconfigPath: string,
  ) {}

  static async start(binary: string, timeoutMs = 180_000): Promise<TestEnv> {
    const dir = mkdtempSync(join(tmpdir(), 'xpuhal-k8s-'));
    // stdin stays open: the environment exits when it closes (if this process dies).
    const child = spawn(binary, ['--dir', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
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
    return new TestEnv(child, dir, kubeconfig);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
