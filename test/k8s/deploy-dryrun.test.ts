// deploy/ against a real kube-apiserver (the k8s-apiserver tier's testenv): every
// manifest, and the TLS Secrets deploy/tls-secrets.sh makes from `xpuhal certs
// init`, accepted by server-side apply with dryRun=All; broken manifests refused
// with the apiserver's own errors; and the adapter's RBAC checked for real — the
// ServiceAccount, ClusterRole and binding created, a token requested for the
// account, and that identity may list and watch exactly what the adapter reads
// (the adapter's own LiveSource starts with it) while writes are 403. Last, the
// DaemonSets' own commands run as deployed: `xpuhal serve` with the server Secret
// mounted, `xpuhal k8s run` as the ServiceAccount with the client Secret and the
// ConfigMap mounted; the device is programmed and the health checks answer.
import { expect } from 'chai';
import {
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  loadAllYaml,
  type KubernetesObject,
  type V1ConfigMap,
  type V1DaemonSet,
  type V1Secret,
} from '@kubernetes/client-node';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEndpoint } from '../../src/cli/conformance-endpoint.js';
import { buildProgram } from '../../src/cli/program.js';
import { parseNodeConfigFile } from '../../src/cli/k8s-run-config.js';
import { LiveSource } from '../../src/k8s-adapter/index.js';
import { certsInit } from '../../src/wire/index.js';
import { TestEnv, testenvBinary } from './support/testenv.js';

const REQUIRE_ALL = process.env.XPUHAL_REQUIRE_ALL_TIERS === '1';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEPLOY = join(ROOT, 'deploy');
const NS = 'xpuhal-system';
const MANAGER = 'xpuhal-deploy-test';

/** The objects of deploy/, in kustomization.yaml's order. */
function deployObjects(): { file: string; obj: KubernetesObject }[] {
  const kustomization = loadAllYaml(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8'))[0] as { resources: string[] };
  return kustomization.resources.flatMap((file) => (loadAllYaml(readFileSync(join(DEPLOY, file), 'utf8')) as KubernetesObject[]).map((obj) => ({ file, obj })));
}

function find<T extends KubernetesObject>(kind: string, name: string): T {
  const o = deployObjects().find((x) => x.obj.kind === kind && x.obj.metadata?.name === name);
  if (!o) throw new Error(`deploy/ has no ${kind} ${name}`);
  return o.obj as T;
}

const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;
const describeObj = (o: KubernetesObject) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

/** The apiserver's status code and message for a refused call (client-node's ApiException). */
async function refusal(p: Promise<unknown>): Promise<{ code: number; message: string; reason?: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: number; body?: unknown };
    const body = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as { message?: string; reason?: string } | undefined;
    return { code: err.code ?? -1, message: body?.message ?? String(e), reason: body?.reason };
  }
  throw new Error('the call was accepted');
}

/** One request with the given identity's credentials (the body of a watch is read until it times out). */
async function raw(kc: KubeConfig, path: string, method = 'GET', body?: { type: string; text: string }): Promise<{ status: number; body: string }> {
  const server = new URL(kc.getCurrentCluster()!.server);
  const headers: Record<string, string> = body ? { 'content-type': body.type } : {};
  const opts: RequestOptions & { headers: Record<string, string> } = { host: server.hostname, port: server.port, path, method, headers };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = request(opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body?.text);
  });
}
const rawGet = (kc: KubeConfig, path: string) => raw(kc, path);


const BIN = join(ROOT, 'bin', 'xpuhal.js');

/** A port free on loopback now, in [lo, hi] (the kernel picks when the range is everything). */
async function freePort(lo = 0, hi = 0): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const want = lo ? lo + Math.floor(Math.random() * (hi - lo + 1)) : 0;
    const s = createServer();
    const port = await new Promise<number | undefined>((resolve) => {
      s.once('error', () => resolve(undefined));
      s.listen(want, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
    });
    if (port !== undefined) {
      await new Promise<void>((r) => s.close(() => r()));
      return port;
    }
  }
  throw new Error(`no free port in ${lo}..${hi}`);
}

/** GET over plain HTTP on loopback: status and parsed JSON (or text), or the connection error code. */
function httpGet(port: number, path: string): Promise<{ status: number; body: unknown } | { error: string }> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON (metrics) */
        }
        resolve({ status: res.statusCode!, body });
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

/** Polls (real time: real processes) until check() gives a value. */
async function until<T>(what: string, check: () => Promise<T | undefined>, diag: () => string, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}\n${diag()}`);
}

/** Writes a Secret or ConfigMap volume as the kubelet would: every key, or only `items` at their paths. */
function mountVolume(dir: string, data: Record<string, string>, items?: { key: string; path: string }[]): void {
  for (const { key, path } of items ?? Object.keys(data).map((k) => ({ key: k, path: k }))) {
    if (!(key in data)) throw new Error(`volume item ${key} is not in the object (keys: ${Object.keys(data).join(', ')})`);
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data[key]);
  }
}

/** The container's args with the manifest's in-pod paths and ports replaced. */
function containerArgs(ds: V1DaemonSet, replace: Record<string, string>): string[] {
  return ds.spec!.template.spec!.containers[0].args!.map((a) => {
    const [flag] = a.split('=');
    return flag in replace ? `${flag}=${replace[flag]}` : a.replace('$(NODE_NAME)', replace.NODE_NAME ?? '$(NODE_NAME)');
  });
}

class Proc {
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.err = (this.err + d.toString()).slice(-20_000)));
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
  }
  static start(args: string[]): Proc {
    return new Proc(spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

describe('deploy/: manifests and RBAC against a real kube-apiserver', function () {
  this.timeout(300_000);
  let env: TestEnv | undefined;
  let admin: KubeConfig;
  let objects: KubernetesObjectApi;
  let tlsDir: string;

  before(async function () {
    const bin = testenvBinary();
    if ('reason' in bin) {
      const msg = `SKIPPED: k8s-apiserver (deploy dry-run): ${bin.reason}`;
      console.log(msg);
      if (REQUIRE_ALL) throw new Error(`${msg} (XPUHAL_REQUIRE_ALL_TIERS=1)`);
      this.skip();
    }
    env = await TestEnv.start(bin.path);
    admin = new KubeConfig();
    admin.loadFromFile(env.kubeconfigPath);
    objects = KubernetesObjectApi.makeApiClient(admin);
    tlsDir = mkdtempSync(join(tmpdir(), 'xpuhal-deploy-tls-'));
    certsInit(tlsDir, { clients: [{ name: 'adapter', role: 'controller' }] });
  });

  after(async () => {
    await env?.stop();
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
  });

  const dryRunApply = (o: KubernetesObject) => objects.patch(o, undefined, 'All', MANAGER, true, PatchStrategy.ServerSideApply);
  const apply = (o: KubernetesObject) => objects.patch(o, undefined, undefined, MANAGER, true, PatchStrategy.ServerSideApply);
  const exists = async (o: KubernetesObject) => {
    try {
      await objects.read({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata!.name!, namespace: o.metadata!.namespace } });
      return true;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return false;
      throw e;
    }
  };

  it('kustomization.yaml lists every manifest in deploy/, and the Secrets come from tls-secrets.sh', () => {
    const listed = (loadAllYaml(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8'))[0] as { resources: string[] }).resources;
    const files = readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...listed].sort()).to.deep.equal(files.sort());
    // No keys in the repository: Secrets exist only as the script's output.
    expect(deployObjects().filter((o) => o.obj.kind === 'Secret')).to.deep.equal([]);
    expect(() => execFileSync('bash', [join(DEPLOY, 'tls-secrets.sh'), join(tlsDir, 'missing')], { stdio: 'pipe' })).to.throw(/ca\.pem is missing/);
  });

  it('the shipped adapter config and DaemonSet arguments are accepted by the real CLI parsers', async () => {
    const cm = find<V1ConfigMap>('ConfigMap', 'xpuhal-adapter-config');
    const cfg = parseNodeConfigFile(loadAllYaml(cm.data!['node.yaml'])[0]);
    expect(cfg).to.include({ overlay: 'vxlan', vni: 4096, uplinkPort: 'uplink0' });

    const argsOf = (name: string) => find<V1DaemonSet>('DaemonSet', name).spec!.template.spec!.containers[0].args!.map((a) => a.replace('$(NODE_NAME)', 'node-1'));
    // The commands' parsers, with their actions replaced so nothing starts.
    const parsed = async (argv: string[]) => {
      const program = buildProgram().exitOverride();
      let seen: Record<string, unknown> | undefined;
      const all = [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)];
      for (const c of all) c.exitOverride().action((opts: Record<string, unknown>) => void (seen = opts));
      await program.parseAsync(argv, { from: 'user' });
      return seen!;
    };
    const run = await parsed(argsOf('xpuhal-adapter'));
    expect(run).to.include({ node: 'node-1', endpoint: '127.0.0.1:50051', tlsDir: '/etc/xpuhal/tls', client: 'adapter', config: '/etc/xpuhal/config/node.yaml', metricsPort: 10249, healthzPort: 10256, healthCheckNodePorts: true });
    // The Secret's items lay out the client side of the TLS directory the CLI expects.
    const vol = find<V1DaemonSet>('DaemonSet', 'xpuhal-adapter').spec!.template.spec!.volumes!.find((v) => v.name === 'tls')!;
    expect(vol.secret!.items!.map((i) => i.path)).to.deep.equal(['ca.pem', 'clients/adapter.pem', 'clients/adapter-key.pem']);
    const serve = await parsed(argsOf('xpuhal-hal-server'));
    expect(serve).to.include({ driver: 'reference', listen: '127.0.0.1:50051', tlsDir: '/etc/xpuhal/tls' });
    expect(JSON.parse(serve.driverOptions as string)).to.deep.equal({ hostPorts: 16 });
  });

  it('server-side apply with dryRun=All accepts every object (and the generated Secrets) and persists none', async () => {
    const secrets = loadAllYaml(execFileSync('bash', [join(DEPLOY, 'tls-secrets.sh'), tlsDir], { encoding: 'utf8' })) as KubernetesObject[];
    expect(secrets.map(describeObj)).to.deep.equal([`Secret ${NS}/xpuhal-hal-server-tls`, `Secret ${NS}/xpuhal-adapter-tls`]);
    const all = [...deployObjects().map((x) => x.obj), ...secrets];
    expect(all.map(describeObj)).to.include.members([
      `Namespace ${NS}`,
      `ServiceAccount ${NS}/xpuhal-adapter`,
      'ClusterRole xpuhal-adapter',
      'ClusterRoleBinding xpuhal-adapter',
      `ConfigMap ${NS}/xpuhal-adapter-config`,
      `DaemonSet ${NS}/xpuhal-adapter`,
      `DaemonSet ${NS}/xpuhal-hal-server`,
    ]);

    const [namespace, ...rest] = all;
    expect(namespace.kind).to.equal('Namespace');
    const dryNs = await dryRunApply(namespace);
    expect(dryNs.metadata?.name).to.equal(NS);
    expect(await exists(namespace), 'a dry run creates nothing').to.equal(false);
    // Namespaced objects are checked against their namespace, so it must exist for the rest.
    await apply(namespace);

    for (const o of rest) {
      const out = await dryRunApply(o).catch((e: unknown) => {
        throw new Error(`${describeObj(o)} refused: ${JSON.stringify((e as { body?: unknown }).body ?? String(e))}`);
      });
      expect(describeObj(out), 'the apiserver returns the object it would store').to.equal(describeObj(o));
      // Defaulting ran: the apiserver filled in what the manifest left out.
      if (o.kind === 'DaemonSet') expect((out as V1DaemonSet).spec!.template.spec!.containers[0].terminationMessagePath).to.equal('/dev/termination-log');
      expect(await exists(o), `${describeObj(o)} after a dry run`).to.equal(false);
    }
  });

  it('broken manifests are refused with the apiserver\'s validation errors, and nothing is stored', async () => {
    await apply(find('Namespace', NS)); // namespaced objects are validated in their namespace
    const ds = find<V1DaemonSet>('DaemonSet', 'xpuhal-adapter');

    const badPolicy = clone(ds);
    badPolicy.spec!.template.spec!.containers[0].imagePullPolicy = 'Sometimes';
    const r1 = await refusal(dryRunApply(badPolicy));
    expect(r1.code).to.equal(422);
    expect(r1.reason).to.equal('Invalid');
    expect(r1.message).to.contain('spec.template.spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes"');

    const badSelector = clone(ds);
    badSelector.spec!.template.metadata!.labels = { 'app.kubernetes.io/name': 'something-else' };
    const r2 = await refusal(dryRunApply(badSelector));
    expect([r2.code, r2.reason]).to.deep.equal([422, 'Invalid']);
    expect(r2.message).to.contain('spec.template.metadata.labels: Invalid value');
    expect(r2.message).to.contain('`selector` does not match template `labels`');

    const badPort = clone(ds);
    badPort.spec!.template.spec!.containers[0].ports![0].containerPort = 70000;
    const r3 = await refusal(dryRunApply(badPort));
    expect([r3.code, r3.reason]).to.deep.equal([422, 'Invalid']);
    expect(r3.message).to.contain('spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000');

    const role = clone(find<KubernetesObject & { rules: { verbs?: string[] }[] }>('ClusterRole', 'xpuhal-adapter'));
    delete role.rules[0].verbs;
    const r4 = await refusal(dryRunApply(role));
    expect([r4.code, r4.reason]).to.deep.equal([422, 'Invalid']);
    expect(r4.message).to.contain('rules[0].verbs: Required value');

    // A field the schema does not have (a typo), applied as `kubectl apply --server-side` does
    // (fieldValidation=Strict; client-node's patch() cannot ask for it): refused, naming the field.
    const typo = clone(ds) as V1DaemonSet & { spec: { replicas?: number } };
    typo.spec.replicas = 3;
    const r5 = await raw(admin, `/apis/apps/v1/namespaces/${NS}/daemonsets/xpuhal-adapter?dryRun=All&fieldManager=${MANAGER}&force=true&fieldValidation=Strict`, 'PATCH', {
      type: 'application/apply-patch+yaml',
      text: JSON.stringify(typo),
    });
    // kube-apiserver 1.34 answers this with code 500 (its typed-patch error is not mapped to 400).
    expect(r5.status, r5.body).to.be.oneOf([400, 500]);
    expect((JSON.parse(r5.body) as { message: string }).message).to.contain('.spec.replicas: field not declared in schema');

    for (const o of [badPolicy, role]) expect(await exists(o)).to.equal(false);
  });

  it('the adapter ServiceAccount may list and watch exactly what the adapter reads; gets and writes are 403', async () => {
    const rbac = deployObjects().filter((x) => x.file === 'rbac.yaml').map((x) => x.obj);
    for (const o of [find('Namespace', NS), ...rbac]) await apply(o);
    const core = admin.makeApiClient(CoreV1Api);
    const tr = await core.createNamespacedServiceAccountToken({ name: 'xpuhal-adapter', namespace: NS, body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const token = tr.status!.token;
    const cluster = admin.getCurrentCluster()!;
    const sa = new KubeConfig();
    sa.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'xpuhal-adapter', token }],
      contexts: [{ name: 'sa', cluster: cluster.name, user: 'xpuhal-adapter' }],
      currentContext: 'sa',
    });
    // It is that account the apiserver sees.
    const who = JSON.parse((await rawGet(sa, '/api/v1/namespaces/default/pods/nope')).body) as { message: string };
    expect(who.message).to.contain('User "system:serviceaccount:xpuhal-system:xpuhal-adapter" cannot get resource "pods"');

    const readable = ['/api/v1/pods', '/api/v1/services', '/api/v1/namespaces', '/api/v1/nodes', '/apis/discovery.k8s.io/v1/endpointslices', '/apis/networking.k8s.io/v1/networkpolicies'];
    for (const path of readable) {
      const list = await rawGet(sa, `${path}?limit=1`);
      expect([path, list.status]).to.deep.equal([path, 200]);
      // A watch that ends by itself after a second: 200 and a stream (possibly empty).
      const watch = await rawGet(sa, `${path}?watch=true&timeoutSeconds=1`);
      expect([`${path} watch`, watch.status]).to.deep.equal([`${path} watch`, 200]);
    }
    const denied: [string, string][] = [
      ['/api/v1/secrets', 'list'],
      ['/api/v1/configmaps', 'list'],
      ['/apis/apps/v1/daemonsets', 'list'],
      ['/api/v1/namespaces/xpuhal-system/serviceaccounts/xpuhal-adapter', 'get'],
      ['/api/v1/namespaces/xpuhal-system', 'get'],
    ];
    for (const [path, verb] of denied) {
      const r = await rawGet(sa, path);
      expect([path, r.status]).to.deep.equal([path, 403]);
      expect(r.body).to.contain(`cannot ${verb} resource`);
    }

    const saCore = sa.makeApiClient(CoreV1Api);
    const list = await saCore.listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).to.include(NS);
    const create = await refusal(saCore.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'intruder' }, spec: { containers: [{ name: 'c', image: 'registry.invalid/x:1' }] } } }));
    expect([create.code, create.reason]).to.deep.equal([403, 'Forbidden']);
    expect(create.message).to.contain('cannot create resource "pods"');
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }], selector: { app: 'web' } } } });
    const update = await refusal(saCore.patchNamespacedService({ name: 'web', namespace: 'default', body: [{ op: 'add', path: '/metadata/labels', value: { owned: 'yes' } }] }));
    expect([update.code, update.reason]).to.deep.equal([403, 'Forbidden']);
    expect(update.message).to.contain('cannot patch resource "services"');
    const del = await refusal(saCore.deleteNamespace({ name: NS }));
    expect(del.code).to.equal(403);
    expect((await core.readNamespacedService({ name: 'web', namespace: 'default' })).metadata?.labels, 'the refused patch changed nothing').to.equal(undefined);

    // The adapter's own live source, as the account: every informer lists and
    // watches, and a change made by someone else arrives over the watch.
    let changes = 0;
    const source = new LiveSource({ kubeConfig: sa, onChange: () => changes++ });
    try {
      await source.start();
      expect(source.snapshot().services.map((s) => `${s.metadata.namespace}/${s.metadata.name}`)).to.include('default/web');
      await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'late' }, spec: { ports: [{ port: 81 }], selector: { app: 'late' } } } });
      const end = Date.now() + 20_000;
      while (!source.snapshot().services.some((s) => s.metadata.name === 'late') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(source.snapshot().services.map((s) => s.metadata.name)).to.include('late');
      expect(source.stats.errors, 'no watch was refused').to.equal(0);
      expect(changes).to.be.greaterThan(1);
    } finally {
      await source.stop();
    }
  });

  it('the DaemonSets\' commands, as deployed: serve with the server Secret, k8s run as the ServiceAccount with the client Secret and ConfigMap; healthz and a healthCheckNodePort answer', async function () {
    this.timeout(240_000);
    // Mount the Secrets and the ConfigMap the way the DaemonSets' volumes say.
    const secrets = new Map((loadAllYaml(execFileSync('bash', [join(DEPLOY, 'tls-secrets.sh'), tlsDir], { encoding: 'utf8' })) as V1Secret[]).map((x) => [x.metadata!.name!, x]));
    const decode = (sec: V1Secret) => Object.fromEntries(Object.entries(sec.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    const root = mkdtempSync(join(tmpdir(), 'xpuhal-deploy-e2e-'));
    const procs: Proc[] = [];
    try {
      const dsServer = find<V1DaemonSet>('DaemonSet', 'xpuhal-hal-server');
      const dsAdapter = find<V1DaemonSet>('DaemonSet', 'xpuhal-adapter');
      const mounts = (ds: V1DaemonSet, base: string) => {
        const out: Record<string, string> = {};
        const c = ds.spec!.template.spec!.containers[0];
        for (const v of ds.spec!.template.spec!.volumes!) {
          const mount = c.volumeMounts!.find((m) => m.name === v.name)!;
          const dir = join(base, v.name);
          if (v.secret) mountVolume(dir, decode(secrets.get(v.secret.secretName!)!), v.secret.items);
          else if (v.configMap) mountVolume(dir, find<V1ConfigMap>('ConfigMap', v.configMap.name!).data!, v.configMap.items);
          else mkdirSync(dir, { recursive: true });
          out[mount.mountPath] = dir;
        }
        return out;
      };
      const serverMounts = mounts(dsServer, join(root, 'server'));
      const adapterMounts = mounts(dsAdapter, join(root, 'adapter'));
      const inPod = (m: Record<string, string>, path: string) => {
        const base = Object.keys(m).find((k) => path.startsWith(`${k}/`) || path === k)!;
        return m[base] + path.slice(base.length);
      };

      const server = Proc.start(containerArgs(dsServer, { '--listen': '127.0.0.1:0', '--tls-dir': inPod(serverMounts, '/etc/xpuhal/tls') }));
      procs.push(server);
      const halPort = await until('the HAL server', async () => /listening on 127\.0\.0\.1:(\d+)/.exec(server.out)?.[1], () => server.err);

      // The cluster: a node, a namespace, a LoadBalancer service with externalTrafficPolicy Local.
      const core = admin.makeApiClient(CoreV1Api);
      const discovery = admin.makeApiClient(DiscoveryV1Api);
      for (const o of deployObjects().filter((x) => x.file === 'rbac.yaml' || x.obj.kind === 'Namespace').map((x) => x.obj)) await apply(o);
      await core.createNode({ body: { metadata: { name: 'node-e2e' }, spec: { podCIDRs: ['10.244.7.0/24'] } } });
      const node = await core.readNode({ name: 'node-e2e' });
      node.status = { addresses: [{ type: 'InternalIP', address: '192.168.70.1' }] };
      await core.replaceNodeStatus({ name: 'node-e2e', body: node });
      await core.createNamespace({ body: { metadata: { name: 'shop' } } });
      const hcPort = await freePort(30000, 32767);
      await core.createNamespacedService({
        namespace: 'shop',
        body: {
          metadata: { name: 'front' },
          spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: hcPort, selector: { app: 'front' }, ports: [{ name: 'http', port: 80, targetPort: 8080 as never }] },
        },
      });

      // The adapter's identity: a token for its ServiceAccount, in a kubeconfig.
      const tr = await core.createNamespacedServiceAccountToken({ name: 'xpuhal-adapter', namespace: NS, body: { spec: { audiences: [], expirationSeconds: 600 } } });
      const cluster = admin.getCurrentCluster()!;
      const sa = new KubeConfig();
      sa.loadFromOptions({ clusters: [cluster], users: [{ name: 'sa', token: tr.status!.token }], contexts: [{ name: 'sa', cluster: cluster.name, user: 'sa' }], currentContext: 'sa' });
      const kubeconfig = join(root, 'kubeconfig');
      writeFileSync(kubeconfig, sa.exportConfig());

      const [metricsPort, healthzPort] = [await freePort(), await freePort()];
      const args = containerArgs(dsAdapter, {
        NODE_NAME: 'node-e2e',
        '--endpoint': `127.0.0.1:${halPort}`,
        '--tls-dir': inPod(adapterMounts, '/etc/xpuhal/tls'),
        '--config': inPod(adapterMounts, '/etc/xpuhal/config/node.yaml'),
        '--metrics-port': String(metricsPort),
        '--healthz-port': String(healthzPort),
      });
      const adapter = Proc.start([...args, `--kubeconfig=${kubeconfig}`, '--health-address=127.0.0.1']);
      procs.push(adapter);
      const diag = () => `adapter stderr:\n${adapter.err}\nserver stderr:\n${server.err}`;

      // Programmed: /healthz reports a last update (the first full sync converged).
      const healthz = await until('the first converged sync', async () => {
        const r = await httpGet(healthzPort, '/healthz');
        return 'status' in r && r.status === 200 && (r.body as { lastUpdated: string | null }).lastUpdated ? r : undefined;
      }, diag);
      expect(healthz.body).to.include({ nodeEligible: true });
      expect((await httpGet(healthzPort, '/livez')) as { status: number }).to.include({ status: 200 });
      expect(adapter.err).to.match(/sync: converged/);

      // The service's health check: no endpoints on this node yet → 503.
      const empty = await until('the healthCheckNodePort listener', async () => {
        const r = await httpGet(hcPort, '/healthz');
        return 'status' in r ? r : undefined;
      }, diag);
      expect(empty).to.deep.equal({ status: 503, body: { service: { namespace: 'shop', name: 'front' }, localEndpoints: 0, serviceProxyHealthy: true } });

      // A ready endpoint on this node (as the endpointslice controller would write it) → 200, and the device has it.
      await discovery.createNamespacedEndpointSlice({
        namespace: 'shop',
        body: {
          metadata: { name: 'front-1', labels: { 'kubernetes.io/service-name': 'front' } },
          addressType: 'IPv4',
          endpoints: [{ addresses: ['10.244.7.5'], nodeName: 'node-e2e', conditions: { ready: true } }],
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        },
      });
      const ok = await until('a local endpoint in the health check', async () => {
        const r = await httpGet(hcPort, '/healthz');
        return 'status' in r && r.status === 200 ? r : undefined;
      }, diag);
      expect(ok.body).to.deep.equal({ service: { namespace: 'shop', name: 'front' }, localEndpoints: 1, serviceProxyHealthy: true });
      const device = await openEndpoint(`127.0.0.1:${halPort}`, { tlsDir: inPod(adapterMounts, '/etc/xpuhal/tls'), client: 'adapter' });
      try {
        const hal = await device.open();
        const members = await until('the backend on the device', async () => {
          const groups = await hal.read({ tables: ['backend_group'] });
          const front = groups.filter((g) => g.entry!.backendGroup!.id!.startsWith('svc:shop/front'));
          const ips = front.flatMap((g) => (g.entry!.backendGroup!.members ?? []).map((m) => `${m.ip}:${m.port}`));
          return ips.length ? [...new Set(ips)] : undefined;
        }, diag);
        expect(members).to.deep.equal(['10.244.7.5:8080']);
      } finally {
        await device.dispose();
      }
      const metrics = await httpGet(metricsPort, '/metrics');
      expect((metrics as { status: number }).status).to.equal(200);
      expect(String((metrics as { body: unknown }).body)).to.match(/xpuhal_adapter_syncs_total\{[^}]*result="converged"[^}]*\} [1-9]/);

      // The service goes: its health check port closes.
      await core.deleteNamespacedService({ name: 'front', namespace: 'shop' });
      await until('the health check port to close', async () => ((await httpGet(hcPort, '/healthz')) as { error?: string }).error === 'ECONNREFUSED' || undefined, diag);

      // SIGTERM, as the kubelet stops a pod: a clean exit.
      expect(await adapter.stop(), diag()).to.equal(0);
      expect(await server.stop(), diag()).to.equal(0);
      expect(adapter.err, 'no watch failed or was refused to the ServiceAccount').to.not.match(/watch failed|Forbidden|is forbidden/);
    } finally {
      for (const p of procs) await p.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
