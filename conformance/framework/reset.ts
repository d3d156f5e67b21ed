// Brings a shared device (a remote endpoint) back to its start-up state between
// tests: device-owned rows back to their fresh values first (they may refer to
// client zones), then client entries deleted (referrers before the objects they name:
// hal-spec §6.3, §6.4), conntrack
// flushed, capture buffers drained. Generation and counters keep moving: tests
// that need them at zero require a fresh device.
import { isHalError, type Hal, type Update } from '../../src/hal/index.js';

export async function resetDevice(hal: Hal): Promise<void> {
  await hal.capture({});
  const owned = (await hal.read({})).filter((r) => r.deviceOwned);
  const restore: Update[] = [];
  for (const r of owned) {
    const e = r.entry as Record<string, Record<string, unknown>>;
    if (e.port && (Object.keys(e.port).length !== 2 || e.port.adminUp !== true)) restore.push({ type: 'MODIFY', entry: { port: { id: e.port.id as string, adminUp: true } } as never });
    if (e.ctZone && Object.keys(e.ctZone).length > 0) restore.push({ type: 'MODIFY', entry: { ctZone: {} } });
  }
  if (restore.length) await hal.write({ updates: restore });
  for (let round = 0; round < 16; round++) {
    const records = await hal.read({});
    const doomed: Update[] = records.filter((r) => !r.deviceOwned).map((r) => ({ type: 'DELETE', entry: r.entry }));
    if (doomed.length === 0) break;
    try {
      await hal.write({ updates: doomed });
      break;
    } catch (e) {
      // Objects still referenced fail OBJECT_IN_USE this round and go next round.
      if (!isHalError(e) || !e.updates || e.updates.every((s) => s.code !== 'OK')) throw e;
    }
  }
  const caps = (await hal.describe()).capabilities;
  if (caps?.conntrack?.supported) await hal.deleteConntrack({ filter: {} });
}
