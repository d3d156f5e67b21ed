// deploy/ against a real kube-apiserver (the k8s-apiserver tier's testenv): every
// manifest, and the TLS Secrets deploy/tls-secrets.sh makes from `xpuhal certs
// init`, accepted by server-side apply with dryRun=All; broken manifests refused
// with the apiserver's own errors; and the adapter's RBAC checked for real — the
// ServiceAccount, ClusterRole and binding created, a token requested for the
// account, and that identity may list and watch exactly what the adapter reads
// (the adapter's own LiveSource starts with it) while writes are 403.
import { expect } from 'chai';
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  loadAllYaml,
  type KubernetesObject,
  type V1ConfigMap,
  type V1DaemonSet,
} from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
});
