// Number formatting shared by the pages.

export function formatDensity(d: number): string {
  if (!Number.isFinite(d)) return "–";
  if (d === 0) return "0";
  const pct = d * 100;
  if (pct >= 1) return `${pct.toFixed(1)}%`;
  if (pct >= 0.01) return `${pct.toFixed(2)}%`;
  return `${pct.toExponential(1)}%`;
}

export function formatValue(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return "–";
  if (v !== 0 && Math.abs(v) < 0.01) return v.toExponential(1);
  return v.toFixed(digits);
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** A token as shown: newlines and tabs made visible, empty continuation tokens left empty. */
export function showToken(token: string): string {
  return token.replace(/\n/g, "⏎").replace(/\t/g, "⇥").replace(/\r/g, "␍");
}
