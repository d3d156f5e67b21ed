import 'reflect-metadata';
import { expect } from 'chai';
import type { DependencyContainer } from 'tsyringe';
import { HalError } from '../../src/hal/errors.js';
import type { Hal } from '../../src/hal/hal.js';
import { DRIVER_OPTIONS, DriverRegistry, type DriverFactory, type DriverOptions } from '../../src/hal/registry.js';

class FakeFactory implements DriverFactory {
  readonly calls: { options: DriverOptions; container: DependencyContainer }[] = [];
  constructor(
    readonly name: string,
    readonly summary = `fake driver ${name}`,
  ) {}
  async create(options: DriverOptions, container: DependencyContainer): Promise<Hal> {
    this.calls.push({ options, container });
    const fake = { driver: this.name, options, close: async () => undefined };
    return fake as unknown as Hal;
  }
}

async function rejection(p: Promise<unknown>): Promise<HalError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(HalError);
    return e as HalError;
  }
  throw new Error('expected a rejection');
}

describe('hal/registry', () => {
  it('starts empty', () => {
    const r = new DriverRegistry();
    expect(r.names()).to.deep.equal([]);
    expect(r.factories()).to.deep.equal([]);
    expect(r.has('sim')).to.equal(false);
  });

  it('lists registered drivers sorted by name', () => {
    const r = new DriverRegistry();
    const zeta = new FakeFactory('zeta');
    const alpha = new FakeFactory('alpha');
    r.register(zeta);
    r.register(alpha);
    expect(r.names()).to.deep.equal(['alpha', 'zeta']);
    expect(r.factories()).to.deep.equal([alpha, zeta]);
    expect(r.has('alpha')).to.equal(true);
    expect(r.has('zeta')).to.equal(true);
    expect(r.has('beta')).to.equal(false);
  });

  it('refuses a duplicate name with ALREADY_EXISTS / ENTRY_EXISTS', () => {
    const r = new DriverRegistry();
    r.register(new FakeFactory('sim'));
    let err: unknown;
    try {
      r.register(new FakeFactory('sim', 'another'));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(HalError);
    const e = err as HalError;
    expect(e.code).to.equal('ALREADY_EXISTS');
    expect(e.reason).to.equal('ENTRY_EXISTS');
    expect(e.message).to.equal('driver "sim" is already registered');
    expect(r.names()).to.deep.equal(['sim']);
    expect(r.factories()[0].summary).to.equal('fake driver sim');
  });

  it('create of an unknown name is NOT_FOUND and lists the registered names', async () => {
    const r = new DriverRegistry();
    const none = await rejection(r.create('nope'));
    expect(none.code).to.equal('NOT_FOUND');
    expect(none.reason).to.equal('ENTRY_NOT_FOUND');
    expect(none.message).to.equal('no driver named "nope" (registered: none)');
    expect(none.fieldPath).to.equal('driver');
    r.register(new FakeFactory('beta'));
    r.register(new FakeFactory('alpha'));
    const e = await rejection(r.create('gamma'));
    expect(e.code).to.equal('NOT_FOUND');
    expect(e.reason).to.equal('ENTRY_NOT_FOUND');
    expect(e.message).to.equal('no driver named "gamma" (registered: alpha, beta)');
  });

  it('create passes the options to the factory, as an argument and through the container', async () => {
    const r = new DriverRegistry();
    const a = new FakeFactory('alpha');
    const b = new FakeFactory('beta');
    r.register(a);
    r.register(b);
    const options = { profile: 'small', ports: 4 };
    const hal = (await r.create('beta', options)) as unknown as { driver: string; options: DriverOptions };
    expect(hal.driver).to.equal('beta');
    expect(hal.options).to.equal(options);
    expect(a.calls).to.have.length(0);
    expect(b.calls).to.have.length(1);
    expect(b.calls[0].options).to.equal(options);
    expect(b.calls[0].container.resolve(DRIVER_OPTIONS)).to.equal(options);
    // Each create gets its own scope: options of one call do not leak into the next.
    await r.create('beta');
    expect(b.calls[1].options).to.deep.equal({});
    expect(b.calls[1].container.resolve(DRIVER_OPTIONS)).to.deep.equal({});
    expect(b.calls[0].container.resolve(DRIVER_OPTIONS)).to.equal(options);
  });

  it('separate registries do not share registrations', async () => {
    const one = new DriverRegistry();
    const two = new DriverRegistry();
    one.register(new FakeFactory('alpha'));
    two.register(new FakeFactory('beta'));
    expect(one.names()).to.deep.equal(['alpha']);
    expect(two.names()).to.deep.equal(['beta']);
    expect(new DriverRegistry().names()).to.deep.equal([]);
    // The same name may be registered in each registry.
    two.register(new FakeFactory('alpha'));
    expect(two.names()).to.deep.equal(['alpha', 'beta']);
    const e = await rejection(one.create('beta'));
    expect(e.message).to.equal('no driver named "beta" (registered: alpha)');
  });
});
