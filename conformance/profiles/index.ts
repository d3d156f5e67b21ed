// Every profile's tests, in profile order.
import type { ConformanceTest, Profile } from '../framework/types.js';
import { tests as core } from './core.js';
import { tests as crypto } from './crypto.js';
import { tests as forwarding } from './forwarding.js';
import { tests as policy } from './policy.js';
import { tests as qos } from './qos.js';
import { tests as stateful } from './stateful.js';
import { tests as telemetry } from './telemetry.js';
import { tests as tunnel } from './tunnel.js';

export const ALL_TESTS: readonly ConformanceTest[] = [...core, ...forwarding, ...policy, ...stateful, ...tunnel, ...qos, ...crypto, ...telemetry];

export function testsFor(profiles: readonly Profile[] = []): ConformanceTest[] {
  return ALL_TESTS.filter((t) => profiles.length === 0 || profiles.includes(t.profile));
}
