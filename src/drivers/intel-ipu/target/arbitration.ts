// Primary election per (device_id, role) over StreamChannel (P4Runtime spec
// §5 "Client arbitration"): among the open streams of a role the one with the
// highest election_id is the primary; a stream without an election_id is a
// backup that can only read. Whenever the primary of a role changes, every
// stream of that role is told (OK to the primary, ALREADY_EXISTS to backups
// while a primary exists, NOT_FOUND when none does), with the highest
// election_id among them.
import { GrpcCode } from './errors.js';

export interface Controller {
  readonly role: string;
  electionId: bigint | undefined;
  notify(primary: bigint | undefined, isPrimary: boolean, status: { code: number; message: string }): void;
}

export class Arbitration {
  private readonly streams = new Set<Controller>();

  primary(role: string): Controller | undefined {
    let best: Controller | undefined;
    for (const c of this.streams) {
      if (c.role !== role || c.electionId === undefined) continue;
      if (!best || c.electionId > best.electionId!) best = c;
    }
    return best;
  }

  /** True when another open stream of the role already holds this election id. */
  taken(role: string, id: bigint | undefined, self: Controller): boolean {
    if (id === undefined) return false;
    for (const c of this.streams) if (c !== self && c.role === role && c.electionId === id) return true;
    return false;
  }

  /** Adds or updates a controller; tells the role's streams when the primary changed (always tells `c`). */
  update(c: Controller, electionId: bigint | undefined): void {
    const before = this.primary(c.role);
    const beforeId = before?.electionId;
    this.streams.add(c);
    c.electionId = electionId;
    const after = this.primary(c.role);
    const changed = before !== after || beforeId !== after?.electionId;
    for (const s of this.streams) if (s.role === c.role && (changed || s === c)) this.tell(s, after);
  }

  remove(c: Controller): void {
    if (!this.streams.has(c)) return;
    const before = this.primary(c.role);
    this.streams.delete(c);
    const after = this.primary(c.role);
    if (before !== after) for (const s of this.streams) if (s.role === c.role) this.tell(s, after);
  }

  /** PERMISSION_DENIED unless `electionId` is the role's primary's. */
  mayWrite(role: string, electionId: bigint | undefined): { ok: true } | { ok: false; message: string } {
    const p = this.primary(role);
    if (!p) return { ok: false, message: `no primary controller for role "${role || 'default'}": open a StreamChannel and win arbitration first` };
    if (electionId === undefined || electionId !== p.electionId) {
      return { ok: false, message: `election_id ${electionId ?? 'unset'} is not the primary's (${p.electionId}) for role "${role || 'default'}"` };
    }
    return { ok: true };
  }

  private tell(s: Controller, primary: Controller | undefined): void {
    const isPrimary = s === primary;
    const status = isPrimary
      ? { code: GrpcCode.OK, message: 'you are the primary' }
      : primary
        ? { code: GrpcCode.ALREADY_EXISTS, message: 'a primary controller is connected: you are a backup' }
        : { code: GrpcCode.NOT_FOUND, message: 'no primary controller is connected' };
    s.notify(primary?.electionId, isPrimary, status);
  }
}
