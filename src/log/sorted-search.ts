/**
 * Binary searches over the first `count` elements of an ascending array.
 * Pure helpers shared by the offset and time indexes.
 */

/** Greatest i in [0, count) with keys[i] <= target, or -1 when every key is greater. */
export function floorSearch(keys: ArrayLike<number>, count: number, target: number): number {
  let lo = 0;
  let hi = count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as number) <= target) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Greatest i in [0, count) with keys[i] < target, or -1 when every key is >= target. */
export function lowerSearch(keys: ArrayLike<number>, count: number, target: number): number {
  let lo = 0;
  let hi = count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as number) < target) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Returns an array of the same kind holding at least `needed` elements, copying the first `count`. */
export function ensureCapacity<T extends Int32Array | Float64Array>(arr: T, count: number, needed: number): T {
  if (needed <= arr.length) return arr;
  let cap = Math.max(16, arr.length);
  while (cap < needed) cap *= 2;
  const next = (arr instanceof Int32Array ? new Int32Array(cap) : new Float64Array(cap)) as T;
  next.set(arr.subarray(0, count));
  return next;
}
