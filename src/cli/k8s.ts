// `xpuhal k8s`: the Kubernetes adapter from the command line.
//   k8s compile  --manifests DIR --node NAME     the HAL entries one node's device gets
//   k8s simulate --manifests DIR --probes FILE   a multi-node cluster in process, probed with packets
//   k8s run      --kubeconfig F --node NAME      the live adapter on a driver, /metrics served
// The work lives in k8s-commands.ts, imported when a k8s command runs.
import type { Command } from 'commander';
import type { OverlayMode } from '../k8s-adapter/node-config.js';
import type { RunOptions } from './k8s-commands.js';
import { printJson } from './text-table.js';

const commands = () => import('./k8s-commands.js');

function overlay(v: string): OverlayMode {
  if (v !== 'vxlan' && v !== 'geneve' && v !== 'direct') throw new Error(`--overlay must be vxlan, geneve or direct (got "${v}")`);
  return v;
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`a port must be an integer 0..65535 (got "${v}")`);
  return n;
}

export function registerK8sCommand(program: Command): void {
  const k8s = program.command('k8s').description('the Kubernetes adapter: compile manifests, simulate a cluster, or run against a live cluster');

  k8s
    .command('simulate')
    .description('one device and one adapter per node behind a simulated fabric; probes sent as packets; a reachability matrix')
    .requiredOption('--manifests <dir>', 'directory (or file) of YAML/JSON manifests')
    .requiredOption('--probes <file>', 'YAML/JSON: {matrix: [{protocol, port, pods?}], probes: [{from, to, protocol, port}]}')
    .option('-d, --driver <name>', 'driver for every node', 'reference')
    .option('--nodes <n>', 'nodes to synthesize when the manifests define none', (v) => Number.parseInt(v, 10))
    .option('--overlay <mode>', 'vxlan | geneve | direct', overlay, 'direct')
    .option('--endpoint <node=host:port...>', "a node's device served by `xpuhal serve` (gRPC, mutual TLS) instead of --driver in process; repeatable")
    .option('--tls-dir <dir>', 'mTLS material for --endpoint, as made by `xpuhal certs init`')
    .option('--client <name>', 'client certificate in --tls-dir for --endpoint; its role must be controller', 'controller')
    .option('--server-name <name>', 'name to check the server certificates against (default: the endpoint host; localhost for loopback)')
    .addHelpText(
      'after',
      [
        '',
        'Probe targets: "ns/pod", "svc:ns/name" (the service port), "node:<name>" (a node port) or an IP.',
        'Matrix marks: . allowed, X denied (the deciding policy is named), R rejected, D dropped, ? no route, O left the cluster.',
        '',
        'Example:',
        '  xpuhal k8s simulate --manifests examples/k8s/two-node --probes examples/k8s/two-node-probes.yaml',
        '  xpuhal k8s simulate --manifests examples/k8s/two-node --probes examples/k8s/two-node-probes.yaml \\',
        '      --endpoint node-1=127.0.0.1:50051 --endpoint node-2=127.0.0.1:50052 --tls-dir certs',
      ].join('\n'),
    )
    .action(async (opts: { manifests: string; probes: string; driver: string; nodes?: number; overlay: OverlayMode; endpoint?: string[]; tlsDir?: string; client: string; serverName?: string }, cmd: Command) => {
      const { runSimulate, formatSimulate } = await commands();
      const report = await runSimulate(opts);
      if (cmd.optsWithGlobals().json) return printJson(report);
      process.stdout.write(formatSimulate(report));
    });

  k8s
    .command('compile')
    .description('the HAL entries one node\'s device gets from a directory of manifests')
    .requiredOption('--manifests <dir>', 'directory (or file) of YAML/JSON manifests')
    .requiredOption('--node <name>', 'the node to compile for')
    .option('--host-ports <n>', 'HOST ports pods attach to (host0..)', (v) => Number.parseInt(v, 10), 16)
    .option('--overlay <mode>', 'vxlan | geneve | direct', overlay, 'vxlan')
    .action(async (opts: { manifests: string; node: string; hostPorts: number; overlay: string }, cmd: Command) => {
      await (await commands()).compileCommand(opts, !!cmd.optsWithGlobals().json, printJson);
    });

  k8s
    .command('run')
    .description('watch a live cluster and program one node\'s device, in process or over gRPC (SIGINT/SIGTERM stop)')
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .requiredOption('--node <name>', 'the node this adapter programs')
    .option('-d, --driver <name>', 'driver to program in process (default reference; not with --endpoint)')
    .option('--endpoint <host:port>', 'program the HAL served by `xpuhal serve` at host:port instead (mutual TLS)')
    .option('--tls-dir <dir>', 'client TLS material for --endpoint: ca.pem, clients/NAME.pem, clients/NAME-key.pem')
    .option('--client <name>', 'client certificate name in --tls-dir (its role must be controller)', 'adapter')
    .option('--server-name <name>', 'name to check the server certificate against (default: the endpoint host)')
    .option('--config <file>', 'node settings, YAML or JSON: overlay, vni, clusterCidrs, serviceCidrs, uplinkPort, ... (docs/kubernetes.md)')
    .option('--overlay <mode>', 'vxlan | geneve | direct (overrides --config; default vxlan)', overlay)
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port (0: off)', port, 0)
    .option('--healthz-port <port>', 'serve /healthz and /livez on this port, as kube-proxy (0: off)', port, 10256)
    .option('--health-address <ip>', 'address the health endpoints and healthCheckNodePorts listen on', '0.0.0.0')
    .option('--no-health-check-node-ports', 'do not answer healthCheckNodePorts of externalTrafficPolicy: Local LoadBalancer services')
    .option('--resync <seconds>', 'full reconcile at least this often; a change pending for twice this makes /healthz fail', (v) => Number.parseInt(v, 10), 60)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  xpuhal k8s run --node node-1 --driver reference --metrics-port 10249',
        '  xpuhal k8s run --node "$NODE_NAME" --endpoint 127.0.0.1:50051 --tls-dir /etc/xpuhal/tls --config /etc/xpuhal/config/node.yaml',
        'Deployment in a cluster: deploy/ and docs/kubernetes.md.',
      ].join('\n'),
    )
    .action(async (opts: RunOptions) => {
      await (await commands()).runCommand(opts);
    });
}
