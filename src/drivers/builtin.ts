// Every driver that ships with xpuhal, registered by name. A new built-in driver
// adds one import and one register() line here (docs/driver-guide.md).
import { DriverRegistry } from '../hal/registry.js';
import { intelIpuDriver } from './intel-ipu/index.js';
import { referenceDriver } from './reference/index.js';

export function builtinRegistry(): DriverRegistry {
  const registry = new DriverRegistry();
  registry.register(referenceDriver);
  registry.register(intelIpuDriver);
  return registry;
}
