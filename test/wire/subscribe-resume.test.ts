// Telemetry.Subscribe over the wire: the remote client resumes after the server
// or its connection goes away, from the last sequence it delivered, with no
// event lost or repeated (hal-spec §13.2).
import { expect } from 'chai';
import { HalError, type Event } from '../../src/hal/index.js';
import { HalServer, TLS_FILES, loadRoles } from '../../src/wire/index.js';
import { join } from 'node:path';
import { EventLogDriver } from './event-log-driver.js';
import { serve } from './wire-fixtures.js';

/** Resolves when `pred` holds, checking on every event (no sleeping for semantics). */
function until(events: Event[], pred: () => boolean, hooks: Set<() => void>): Promise<void> {
  return new Promise((resolve) => {
    if (pred()) return resolve();
    const h = () => {
      if (pred()) {
        hooks.delete(h);
        resolve();
      }
    };
    hooks.add(h);
  });
}

describe('wire: Subscribe resumes after a reconnect', function () {
  this.timeout(60_000);

  it('server killed mid-stream and restarted on the same port: every event once, in order', async () => {
    const driver = new EventLogDriver();
    const s = await serve(driver);
    const client = s.client('obs');
    const got: Event[] = [];
    const hooks = new Set<() => void>();
    const errors: Error[] = [];
    const sub = client.subscribe({}, (e) => { got.push(e); for (const h of [...hooks]) h(); }, (e) => errors.push(e));
    try {
      driver.emit(); // before the stream opened: replayed from the log
      await until(got, () => got.length === 1, hooks);
      driver.emit();
      driver.emit();
      await until(got, () => got.length === 3, hooks);
      // The connection dies; events keep coming on the device meanwhile.
      s.server.forceShutdown();
      driver.emit();
      driver.emit();
      const again = new HalServer({ hal: driver, listen: `127.0.0.1:${s.port}`, tlsDir: s.dir, roles: loadRoles(join(s.dir, TLS_FILES.roles)) });
      await again.start();
      try {
        await until(got, () => got.length === 5, hooks);
        driver.emit();
        await until(got, () => got.length === 6, hooks);
        expect(got.map((e) => e.sequence)).to.deep.equal([1, 2, 3, 4, 5, 6]);
        expect(got[3]).to.deep.equal({ sequence: 4, timeNs: 4000, saLifetime: { saId: 'sa-4', kind: 'SOFT_BYTES' } });
        expect(errors).to.deep.equal([]);
      } finally {
        sub.close();
        await again.shutdown(1000);
      }
    } finally {
      sub.close();
      await s.close();
    }
  });

  it('a graceful shutdown ends the stream UNAVAILABLE and the client resumes on the next server', async () => {
    const driver = new EventLogDriver();
    const s = await serve(driver);
    const client = s.client('ctl');
    const got: number[] = [];
    const hooks = new Set<() => void>();
    const sub = client.subscribe({ afterSequence: 0 }, (e) => { got.push(e.sequence!); for (const h of [...hooks]) h(); });
    driver.emit();
    await until([], () => got.length === 1, hooks);
    await s.server.shutdown(1000);
    driver.emit();
    const again = new HalServer({ hal: driver, listen: `127.0.0.1:${s.port}`, tlsDir: s.dir, roles: loadRoles(join(s.dir, TLS_FILES.roles)) });
    await again.start();
    await until([], () => got.length === 2, hooks);
    expect(got).to.deep.equal([1, 2]);
    sub.close();
    await again.shutdown(1000);
    await s.close();
  });

  it('an afterSequence the device cannot serve fails OUT_OF_RANGE at afterSequence', async () => {
    const driver = new EventLogDriver();
    const s = await serve(driver);
    driver.emit();
    const err = await new Promise<Error>((resolve) => s.client('obs').subscribe({ afterSequence: 7 }, () => undefined, resolve));
    await s.close();
    expect(err).to.be.instanceOf(HalError);
    expect([(err as HalError).code, (err as HalError).fieldPath]).to.deep.equal(['OUT_OF_RANGE', 'afterSequence']);
  });
});
