// The driver registry: a driver registers a factory under a name (like grpc-js's
// registerResolver); callers list names and create drivers. Built on a tsyringe
// child container so a factory can resolve shared services by explicit token.
import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer, type InjectionToken } from 'tsyringe';
import { HalError } from './errors.js';
import type { Hal } from './hal.js';

/** Options every driver understands; drivers document their own extras. */
export interface DriverOptions {
  /** Driver-specific settings (profile name, target address, port count, ...). */
  readonly [key: string]: unknown;
}

export interface DriverFactory {
  readonly name: string;
  /** One line for `xpuhal drivers`. */
  readonly summary: string;
  create(options: DriverOptions, container: DependencyContainer): Promise<Hal>;
}

/** Explicit tokens: esbuild-based loaders emit no decorator metadata. */
export const DRIVER_FACTORY: InjectionToken<DriverFactory> = Symbol.for('xpuhal.DriverFactory');
export const DRIVER_OPTIONS: InjectionToken<DriverOptions> = Symbol.for('xpuhal.DriverOptions');

export class DriverRegistry {
  private readonly container: DependencyContainer;

  constructor(parent: DependencyContainer = rootContainer) {
    this.container = parent.createChildContainer();
  }

  register(factory: DriverFactory): void {
    if (this.has(factory.name)) throw HalError.of('ENTRY_EXISTS', `driver "${factory.name}" is already registered`);
    this.container.registerInstance(DRIVER_FACTORY, factory);
  }

  has(name: string): boolean {
    return this.factories().some((f) => f.name === name);
  }

  factories(): DriverFactory[] {
    if (!this.container.isRegistered(DRIVER_FACTORY)) return [];
    return this.container.resolveAll(DRIVER_FACTORY).slice().sort((a, b) => a.name.localeCompare(b.name));
  }

  names(): string[] {
    return this.factories().map((f) => f.name);
  }

  async create(name: string, options: DriverOptions = {}): Promise<Hal> {
    const factory = this.factories().find((f) => f.name === name);
    if (!factory) {
      throw HalError.of('ENTRY_NOT_FOUND', `no driver named "${name}" (registered: ${this.names().join(', ') || 'none'})`, 'driver');
    }
    const scope = this.container.createChildContainer();
    scope.registerInstance(DRIVER_OPTIONS, options);
    return factory.create(options, scope);
  }
}
