// Selection without sorting: the k-th largest of an array in O(n) on average
// (Hoare's quickselect), shared by top-k sampling and top-k SAEs.

/** The value of the k-th largest of a[0..n) (k >= 1); `scratch` is overwritten. */
export function kthLargest(a: ArrayLike<number>, n: number, k: number, scratch: Float64Array): number {
  for (let i = 0; i < n; i++) scratch[i] = a[i];
  let lo = 0, hi = n - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    const pivot = scratch[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (scratch[i] > pivot) i++;
      while (scratch[j] < pivot) j--;
      if (i <= j) {
        const t = scratch[i]; scratch[i] = scratch[j]; scratch[j] = t;
        i++; j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return scratch[target];
}
