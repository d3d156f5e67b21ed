// Pointers: the program refers to next hops, ECMP groups and endpoint tags by
// small integers, the HAL by string ids. The driver allocates the integers,
// keeps both directions, and rebuilds the map from the device's entries (their
// controller metadata carries the string) when it connects.
export class IdSpace {
  private readonly byName = new Map<string, number>();
  private readonly byNumber = new Map<number, string>();
  private readonly refs = new Map<string, number>();

  constructor(
    readonly what: string,
    private readonly max: number,
  ) {}

  number(name: string): number | undefined {
    return this.byName.get(name);
  }

  name(n: number): string | undefined {
    return this.byNumber.get(n);
  }

  /** The number of `name`, allocating the lowest free one if needed. */
  allocate(name: string): number {
    const have = this.byName.get(name);
    if (have !== undefined) return have;
    for (let n = 1; n <= this.max; n++) {
      if (!this.byNumber.has(n)) {
        this.bind(name, n);
        return n;
      }
    }
    throw new RangeError(`no free ${this.what} pointer (all ${this.max} in use)`);
  }

  bind(name: string, n: number): void {
    this.byName.set(name, n);
    this.byNumber.set(n, name);
  }

  /** Counted users of a name (endpoint tags are shared by endpoints and ACLs). */
  retain(name: string): void {
    this.refs.set(name, (this.refs.get(name) ?? 0) + 1);
  }

  release(name: string): void {
    const n = (this.refs.get(name) ?? 0) - 1;
    if (n > 0) {
      this.refs.set(name, n);
      return;
    }
    this.refs.delete(name);
    const num = this.byName.get(name);
    this.byName.delete(name);
    if (num !== undefined) this.byNumber.delete(num);
  }

  free(name: string): void {
    const num = this.byName.get(name);
    this.byName.delete(name);
    this.refs.delete(name);
    if (num !== undefined) this.byNumber.delete(num);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  clear(): void {
    this.byName.clear();
    this.byNumber.clear();
    this.refs.clear();
  }
}
