// Client-IP session affinity for services (kube-proxy's sessionAffinity ClientIP):
// a client keeps its member for `timeout` after its last new connection. Entries
// expire on virtual time; an expired entry is ignored and replaced.
export interface AffinityHit {
  readonly ip: string;
  readonly port: number;
}

export class AffinityTable {
  private readonly entries = new Map<string, { member: AffinityHit; expiresNs: number }>();

  /** The remembered member of `client` for service `service`, if still valid at `nowNs`. */
  lookup(service: string, client: string, nowNs: number): AffinityHit | undefined {
    const k = `${service}|${client}`;
    const e = this.entries.get(k);
    if (!e) return undefined;
    if (nowNs >= e.expiresNs) {
      this.entries.delete(k);
      return undefined;
    }
    return e.member;
  }

  remember(service: string, client: string, member: AffinityHit, nowNs: number, timeoutS: number): void {
    this.entries.set(`${service}|${client}`, { member, expiresNs: nowNs + timeoutS * 1e9 });
  }

  /** Drops expired entries (called from a periodic timer so memory stays bounded). */
  sweep(nowNs: number): void {
    for (const [k, e] of this.entries) if (nowNs >= e.expiresNs) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }
}
