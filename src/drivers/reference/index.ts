// Registers the reference driver: the HAL on the reference simulator.
import type { DriverFactory } from '../../hal/index.js';
import { ReferenceDriver, type ReferenceOptions } from './reference-driver.js';

export { ReferenceDriver, type ReferenceOptions };

export const referenceDriver: DriverFactory = {
  name: 'reference',
  summary: 'The reference pipeline on the simulator (real packet bytes, virtual time); cost model pending',
  async create(options) {
    return new ReferenceDriver(options as ReferenceOptions);
  },
};
