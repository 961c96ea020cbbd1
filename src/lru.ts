// Least-recently-used order, for the page cache and the pool of open blogs: a Map for lookup and a
// doubly linked list through its entries for the order, so get, set and evict are O(1).
//
// Not the textbook Map-only LRU (touch = delete + set, evict the first key): in Bun's
// JavaScriptCore, deleting and re-setting the same key of a large Map is dozens of times slower than
// a lookup (each round leaves a deleted slot and the table is rebuilt; docs/BENCHMARKS.md), and one
// popular blog does exactly that on every request. Relinking a node is a few pointer writes.
interface Node<K, V> {
  key: K;
  value: V;
  /** Towards the least recently used end. */
  older: Node<K, V> | null;
  /** Towards the most recently used end. */
  newer: Node<K, V> | null;
}

export class LruMap<K, V> {
  private readonly map = new Map<K, Node<K, V>>();
  private oldestNode: Node<K, V> | null = null;
  private newestNode: Node<K, V> | null = null;

  get size(): number {
    return this.map.size;
  }

  /** The value, marking it the most recently used. */
  get(key: K): V | undefined {
    const node = this.map.get(key);
    if (!node) return undefined;
    if (node !== this.newestNode) {
      this.unlink(node);
      this.append(node);
    }
    return node.value;
  }

  /** The value, without marking it used. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Stores the value as the most recently used. */
  set(key: K, value: V): void {
    const node = this.map.get(key);
    if (node) {
      node.value = value;
      if (node !== this.newestNode) {
        this.unlink(node);
        this.append(node);
      }
      return;
    }
    const added: Node<K, V> = { key, value, older: null, newer: null };
    this.map.set(key, added);
    this.append(added);
  }

  delete(key: K): boolean {
    const node = this.map.get(key);
    if (!node) return false;
    this.map.delete(key);
    this.unlink(node);
    return true;
  }

  /** The least recently used key: the next to evict. */
  oldest(): K | undefined {
    return this.oldestNode?.key;
  }

  /** Keys from least to most recently used. */
  *keys(): Generator<K> {
    for (let node = this.oldestNode; node; node = node.newer) yield node.key;
  }

  clear(): void {
    this.map.clear();
    this.oldestNode = this.newestNode = null;
  }

  private unlink(node: Node<K, V>): void {
    if (node.older) node.older.newer = node.newer;
    else this.oldestNode = node.newer;
    if (node.newer) node.newer.older = node.older;
    else this.newestNode = node.older;
    node.older = node.newer = null;
  }

  private append(node: Node<K, V>): void {
    node.older = this.newestNode;
    if (this.newestNode) this.newestNode.newer = node;
    else this.oldestNode = node;
    this.newestNode = node;
  }
}
