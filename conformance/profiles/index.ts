// Every profile's tests, in profile order.
import type { ConformanceTest, Profile } from '../framework/types.js';
import { tests as core } from './core.js';
import { tests as forwarding } from './forwarding.js';
import { tests as policy } from './policy.js';

export const ALL_TESTS: readonly ConformanceTest[] = [...core, ...forwarding, ...policy];

export function testsFor(profiles: readonly Profile[] = []): ConformanceTest[] {
  return ALL_TESTS.filter((t) => profiles.length === 0 || profiles.includes(t.profile));
}
