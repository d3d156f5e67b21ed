// Registers the intel-ipu driver: the HAL as a P4Runtime controller of an
// IPU-style P4 target (infrap4d, or the embedded simulated target).
import type { DriverFactory } from '../../hal/index.js';
import { IntelIpuDriver, type IntelIpuOptions } from './driver/intel-ipu-driver.js';

export { IntelIpuDriver, type IntelIpuOptions };
export { IpuTarget, type TargetOptions } from './target/target.js';

export const intelIpuDriver: DriverFactory = {
  name: 'intel-ipu',
  summary: 'P4Runtime (gRPC, mTLS) to an IPU-style P4 target running the xpuhal_k8s_ipu program; embedded simulated target unless address is given',
  async create(options) {
    return IntelIpuDriver.connect(options as IntelIpuOptions);
  },
};
