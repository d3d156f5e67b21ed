// Binary trie for longest-prefix match over address bytes (IPv4 or IPv6).
interface TrieNode<V> {
  zero?: TrieNode<V>;
  one?: TrieNode<V>;
  value?: V;
  has: boolean;
}

export class LpmTrie<V> {
  private root: TrieNode<V> = { has: false };
  private count = 0;

  get size(): number {
    return this.count;
  }

  set(bytes: Uint8Array, length: number, value: V): void {
    let node = this.root;
    for (let bit = 0; bit < length; bit++) {
      const b = (bytes[bit >> 3] >> (7 - (bit & 7))) & 1;
      const next = b ? node.one : node.zero;
      if (next) node = next;
      else {
        const created: TrieNode<V> = { has: false };
        if (b) node.one = created;
        else node.zero = created;
        node = created;
      }
    }
    if (!node.has) this.count++;
    node.value = value;
    node.has = true;
  }

  /** The value of the longest prefix containing `addr`, and that prefix's length. */
  lookup(addr: Uint8Array): { value: V; length: number } | undefined {
    let node: TrieNode<V> | undefined = this.root;
    let best: { value: V; length: number } | undefined = this.root.has ? { value: this.root.value as V, length: 0 } : undefined;
    const bits = addr.length * 8;
    for (let bit = 0; bit < bits && node; bit++) {
      const b = (addr[bit >> 3] >> (7 - (bit & 7))) & 1;
      node = b ? node.one : node.zero;
      if (node?.has) best = { value: node.value as V, length: bit + 1 };
    }
    return best;
  }
}
