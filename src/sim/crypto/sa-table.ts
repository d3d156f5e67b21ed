// The live SAs of one device: by id (the table key) and, for inbound traffic, by
// SPI (RFC 4301 §4.1: a unicast SA is found by SPI alone).
//
// A MODIFY replaces the SA: the old one is destroyed (its key material erased,
// hal-spec §15) and a fresh one starts, with sequence numbers from 1, an empty
// replay window and zero lifetime counters. Key material cannot be carried over
// anyway (it is write-only and must be re-supplied), and RFC 4301 treats a new
// key as a new SA.

import type { IpsecSaEntry, SaLifetimeEvent } from '../../hal/generated/types.js';
import { EspSa } from './sa.js';

export class SaTable {
  private readonly byId = new Map<string, EspSa>();
  /** Inbound SPI → SA, rebuilt for the SPIs a write touches (writes are rare, packets are not). */
  private readonly bySpi = new Map<number, EspSa>();
  private readonly onLifetime?: (event: SaLifetimeEvent) => void;

  constructor(options: { onLifetime?: (event: SaLifetimeEvent) => void } = {}) {
    this.onLifetime = options.onLifetime;
  }

  /** INSERT or MODIFY. A rejected entry throws SaConfigError and leaves the table unchanged. */
  upsert(entry: IpsecSaEntry): EspSa {
    const sa = new EspSa(entry, { onLifetime: this.onLifetime });
    const old = this.byId.get(sa.id);
    old?.destroy();
    this.byId.set(sa.id, sa);
    if (old) this.reindex(old.spi);
    this.reindex(sa.spi);
    return sa;
  }

  private reindex(spi: number): void {
    this.bySpi.delete(spi);
    for (const sa of this.byId.values()) {
      if (sa.direction === 'INBOUND' && sa.spi === spi) {
        this.bySpi.set(spi, sa);
        return;
      }
    }
  }

  delete(id: string): boolean {
    const sa = this.byId.get(id);
    if (!sa) return false;
    sa.destroy();
    this.byId.delete(id);
    this.reindex(sa.spi);
    return true;
  }

  get(id: string): EspSa | undefined {
    return this.byId.get(id);
  }

  /**
   * The INBOUND SA for a received SPI. Should a controller install two inbound SAs
   * with one SPI, the one inserted first answers (Map order), deterministically.
   * No SA: the walk drops the packet (suggested reason `ipsec-no-sa`).
   */
  inbound(spi: number): EspSa | undefined {
    return this.bySpi.get(spi);
  }

  get size(): number {
    return this.byId.size;
  }
}
