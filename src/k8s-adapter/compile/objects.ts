// What changed in one kind of object between two cluster states. Sources hand
// over whole lists; finding the few changed objects must cost far less than
// compiling them. An object is unchanged when it is the same JavaScript object
// or has the same uid and resourceVersion (live sources copy objects per
// snapshot, the API bumps resourceVersion on every change). Objects with
// neither identity nor a resourceVersion (hand-built states) count as changed
// whenever they are a different object.
import type { ObjectMeta } from '../cluster-state.js';
import { objectKey } from '../cluster-state.js';

interface Named {
  readonly metadata: ObjectMeta;
}

export interface ObjectChange<T> {
  readonly key: string;
  readonly before: T | undefined;
  readonly after: T | undefined;
}

export function sameObject(a: Named | undefined, b: Named | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const ma = a.metadata;
  const mb = b.metadata;
  return !!ma?.uid && !!ma.resourceVersion && ma.uid === mb?.uid && ma.resourceVersion === mb.resourceVersion;
}

/** The current objects of one kind by "namespace/name", updated from each new list. */
export class ObjectSet<T extends Named> {
  readonly byKey = new Map<string, T>();
  private lastList: readonly T[] = [];
  private lastKeys: string[] = [];

  /** The changes from the previous list to `list`. Later duplicates of a key win. */
  update(list: readonly T[]): ObjectChange<T>[] {
    if (list === this.lastList) return [];
    const changes = list.length === this.lastList.length ? this.positional(list) : undefined;
    const out = changes ?? this.byKeys(list);
    this.lastList = list;
    return out;
  }

  /** Fast path: same length, and every position holds the same key as before (sources keep their order). */
  private positional(list: readonly T[]): ObjectChange<T>[] | undefined {
    const prev = this.lastList;
    const changed: number[] = [];
    for (let i = 0; i < list.length; i++) {
      if (list[i] === prev[i]) continue;
      if (objectKey(list[i].metadata ?? {}) !== this.lastKeys[i]) return undefined;
      if (!sameObject(prev[i], list[i])) changed.push(i);
    }
    const out: ObjectChange<T>[] = [];
    for (const i of changed) {
      const key = this.lastKeys[i];
      // A duplicate key elsewhere in the list keeps the last occurrence: only positional updates of that one count.
      if (!sameObject(this.byKey.get(key), prev[i])) return undefined;
      out.push({ key, before: prev[i], after: list[i] });
    }
    for (const c of out) this.byKey.set(c.key, c.after!);
    return out;
  }

  private byKeys(list: readonly T[]): ObjectChange<T>[] {
    const next = new Map<string, T>();
    const keys: string[] = [];
    for (const o of list) {
      const k = objectKey(o.metadata ?? {});
      keys.push(k);
      next.set(k, o);
    }
    const out: ObjectChange<T>[] = [];
    for (const [k, o] of next) {
      const before = this.byKey.get(k);
      if (!sameObject(before, o)) out.push({ key: k, before, after: o });
    }
    for (const [k, o] of this.byKey) if (!next.has(k)) out.push({ key: k, before: o, after: undefined });
    this.byKey.clear();
    for (const [k, o] of next) this.byKey.set(k, o);
    this.lastKeys = keys;
    return out;
  }
}
