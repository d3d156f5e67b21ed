// A compact way for a profile module to declare its tests.
import type { Ctx } from './context.js';
import type { ConformanceTest, Profile, Requirement } from './types.js';

export type Define = (id: string, title: string, needs: readonly Requirement[], run: (ctx: Ctx) => Promise<void>) => void;

/** Returns the profile's list and a function that appends `<profile>.<id>` to it. */
export function profile(name: Profile): { tests: ConformanceTest[]; test: Define } {
  const tests: ConformanceTest[] = [];
  const test: Define = (id, title, needs, run) => {
    const full = `${name}.${id}`;
    if (tests.some((t) => t.id === full)) throw new Error(`suite bug: duplicate test id ${full}`);
    tests.push({ id: full, profile: name, title, needs, run });
  };
  return { tests, test };
}
