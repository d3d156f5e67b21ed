// What the adapter of one node knows that the cluster objects do not say: how the
// device is wired (which ports pods attach to, the uplink toward the fabric) and
// how nodes reach each other's pods.

export type OverlayMode = 'vxlan' | 'geneve' | 'direct';

export interface NodeConfig {
  /** The Node this adapter programs for (its pods are the device's endpoints). */
  readonly nodeName: string;
  /** HOST ports pods attach to; a pod picks one by a stable hash of namespace/name. */
  readonly hostPorts: readonly string[];
  /** The UPLINK port toward the fabric. */
  readonly uplinkPort: string;
  /** MAC of the fabric's next hop on the uplink (top-of-rack router / fabric). */
  readonly fabricMac: string;
  /**
   * Remote pods: `vxlan`/`geneve` tunnel to the owning node's InternalIP;
   * `direct` routes each node's podCIDR to the fabric, which routes it.
   */
  readonly overlay: OverlayMode;
  readonly vni: number;
  /** The cluster's pod networks: masquerade applies to pod traffic leaving them. */
  readonly clusterCidrs: readonly string[];
  /** The cluster's service networks (never masqueraded as "outside"). */
  readonly serviceCidrs: readonly string[];
  /** Masquerade pod traffic to destinations outside clusterCidrs (kube-proxy's default). */
  readonly masqueradeOutside: boolean;
  /** Routes for traffic leaving the cluster: default routes to the fabric when true. */
  readonly defaultRoute: boolean;
  /** Restricts NodePort addresses to these prefixes (kube-proxy --nodeport-addresses); empty: every node address. */
  readonly nodePortAddresses: readonly string[];
  /** This node's topology zone (for topology hints); empty disables hints. */
  readonly zone: string;
  /** The proxy name this adapter answers to; services labelled with another name are skipped. */
  readonly proxyName: string;
  readonly vrf: number;
  /**
   * The features the device declares (DescribeResponse capabilities.features). Service
   * options it lacks (client-IP affinity, hairpin SNAT, masquerade) are left out and the
   * Service is reported, rather than the whole write refused. Undefined: all assumed;
   * NodeAdapter fills it from the device before its first pass.
   */
  readonly deviceFeatures?: readonly string[];
}

export const DEFAULT_NODE_CONFIG: Omit<NodeConfig, 'nodeName' | 'hostPorts'> = {
  uplinkPort: 'uplink0',
  fabricMac: '02:fa:b0:00:00:01',
  overlay: 'vxlan',
  vni: 4096,
  clusterCidrs: ['10.244.0.0/16', 'fd00:10:244::/56'],
  serviceCidrs: ['10.96.0.0/16', 'fd00:10:96::/112'],
  masqueradeOutside: true,
  defaultRoute: true,
  nodePortAddresses: [],
  zone: '',
  proxyName: '',
  vrf: 0,
};

export function nodeConfig(partial: Partial<NodeConfig> & Pick<NodeConfig, 'nodeName' | 'hostPorts'>): NodeConfig {
  return { ...DEFAULT_NODE_CONFIG, ...partial };
}
