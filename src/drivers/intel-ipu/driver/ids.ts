// Pointers: the program refers to next hops, ECMP groups and endpoint tags by
// small integers, the HAL by string ids. The driver allocates the integers,
// keeps both directions, and rebuilds the map from the device's entries (their
// controller metadata carries the string) when it connects.
export class IdSpace {
  private readonly byName = new Map<string, number>();
  private readonly byNumber = new Map<number, string>();
  private readonly refs = new Map<string, number>();

  /** Where a rotating space looks for its next free number. */
  private cursor = 0;

  /**
   * `rotate`: allocate round-robin instead of lowest-free, so a freed number is
   * not reused soon (DNAT pointers: learned pins may still name a freed one).
   */
  constructor(
    readonly what: string,
    private readonly max: number,
    private readonly rotate = false,
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
    for (let i = 0; i < this.max; i++) {
      const n = this.rotate ? ((this.cursor + i) % this.max) + 1 : i + 1;
      if (!this.byNumber.has(n)) {
        this.bind(name, n);
        if (this.rotate) this.cursor = n % this.max;
        return n;
      }
    }
    throw new RangeError(`no free ${this.what} pointer (all ${this.max} in use)`);
  }

  bind(name: string, n: number): void {
    this.byName.set(name, n);
    this.byNumber.set(n, name);
    if (this.rotate && n > this.cursor) this.cursor = n % this.max;
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
