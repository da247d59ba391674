/**
 * FNV-1a (32 bit) of a string: a stable, well-spread hash for placing keys (a scaler's shard, its
 * point in a resync period, its refit phase). Stable across processes and versions: changing it
 * moves every scaler's shard and refit minute.
 */
export function fnv1a(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
