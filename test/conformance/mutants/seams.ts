// Reaching into a reference driver to seed one bug. The driver's collaborators
// are private fields; a mutant patches them on one instance only, so the
// product code carries no test hooks and every other device stays correct.
import { ReferenceDriver, type ReferenceOptions } from '../../../src/drivers/reference/index.js';
import type { Hal, Profile } from '../../../conformance/index.js';
import type { SimDevice } from '../../../src/sim/device.js';
import type { ForwardingState } from '../../../src/sim/pipeline/forwarding-state.js';
import type { TableStore } from '../../../src/sim/state/table-store.js';

export interface Mutant {
  readonly name: string;
  /** The one semantic bug, in words. */
  readonly bug: string;
  /** The profiles expected to catch it. */
  readonly profiles: readonly Profile[];
  create(): Promise<Hal>;
}

export interface Internals {
  readonly driver: ReferenceDriver;
  readonly sim: SimDevice;
  readonly store: TableStore;
  readonly fwd: ForwardingState;
  /** The store's private members, by name. */
  readonly storePriv: Record<string, unknown>;
  readonly simPriv: Record<string, unknown>;
  readonly driverPriv: Record<string, unknown>;
}

export function internals(driver: ReferenceDriver): Internals {
  const sim = driver.sim;
  const simPriv = sim as unknown as Record<string, unknown>;
  return {
    driver,
    sim,
    store: sim.store,
    fwd: simPriv.fwd as ForwardingState,
    storePriv: sim.store as unknown as Record<string, unknown>,
    simPriv,
    driverPriv: driver as unknown as Record<string, unknown>,
  };
}

/** A mutant that patches a fresh reference driver. */
export function patched(name: string, bug: string, profiles: readonly Profile[], patch: (x: Internals) => void, options: ReferenceOptions = {}): Mutant {
  return {
    name,
    bug,
    profiles,
    async create() {
      const d = new ReferenceDriver(options);
      patch(internals(d));
      return d;
    },
  };
}

/** A mutant built from a ReferenceDriver subclass (for bugs at the HAL boundary). */
export function subclassed(name: string, bug: string, profiles: readonly Profile[], make: () => ReferenceDriver): Mutant {
  return { name, bug, profiles, create: async () => make() };
}
