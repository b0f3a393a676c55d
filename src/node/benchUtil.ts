/**
 * Shared pieces of the benchmark suite (`npm run bench`): timing with warm-up and medians,
 * the dense matmul reference, and the table type every section reports in, rendered to
 * markdown here and written to JSON as it is.
 */
import * as tf from '@tensorflow/tfjs';

export interface Column {
  readonly key: string;
  readonly label: string;
}

export type Cell = number | string;

export interface BenchTable {
  /** Shown above the table (markdown), omitted when empty. */
  readonly caption?: string;
  readonly columns: readonly Column[];
  /** One record per row, keyed by column key; numbers are raw (ms, GFLOP/s, …), unrounded. */
  readonly rows: ReadonlyArray<Record<string, Cell>>;
}

export interface BenchSection {
  readonly id: string;
  readonly title: string;
  readonly tables: readonly BenchTable[];
  /** What was measured and how, one sentence each (rendered as a bullet list). */
  readonly notes: readonly string[];
  /** Section-specific figures for bench.json (all plain numbers and strings). */
  readonly data: Record<string, unknown>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Milliseconds per call of `fn`, median of `repeats` timed calls after `warmup` untimed ones.
 * `fn` must leave its work finished when it resolves (read a value back), so the time is
 * the backend's, not the queueing's.
 */
export async function timeMedian(fn: () => Promise<void>, repeats: number, warmup = 1): Promise<number> {
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`repeats must be a positive whole number, got ${repeats}`);
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Runs `make` (a tensor-producing call), waits for its values, disposes everything it made. */
export async function runAndRead(make: () => tf.Tensor): Promise<void> {
  const out = tf.tidy(make);
  await out.data();
  out.dispose();
}

export interface MatmulResult {
  readonly n: number;
  readonly ms: number;
  readonly gflops: number;
}

/** Dense n×n by n×n matmul on the current backend: 2n³ FLOP, median of `repeats`. */
export async function benchMatmul(n: number, repeats: number): Promise<MatmulResult> {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  try {
    const ms = await timeMedian(() => runAndRead(() => tf.matMul(a, b)), repeats);
    return { n, ms, gflops: (2 * n ** 3) / (ms * 1e6) };
  } finally {
    tf.dispose([a, b]);
  }
}

/** Three significant figures or so, without exponent notation for the usual ranges. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (Number.isInteger(x) || a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a === 0) return '0';
  return x.toPrecision(2);
}

const escapeCell = (s: string): string => s.replace(/\|/g, '\\|');

export function tableMarkdown(t: BenchTable): string {
  const lines: string[] = [];
  if (t.caption) lines.push(t.caption, '');
  lines.push(`| ${t.columns.map((c) => escapeCell(c.label)).join(' | ')} |`);
  // text columns left-aligned, numeric columns right-aligned (judged by the first row)
  const first = t.rows[0] ?? {};
  lines.push(`|${t.columns.map((c) => (typeof first[c.key] === 'number' ? '---:' : '---')).join('|')}|`);
  for (const row of t.rows) {
    const cells = t.columns.map((c) => {
      const v = row[c.key];
      return escapeCell(typeof v === 'number' ? formatNumber(v) : String(v ?? ''));
    });
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function sectionMarkdown(s: BenchSection): string {
  const parts = [`## ${s.title}`];
  for (const t of s.tables) parts.push(tableMarkdown(t));
  if (s.notes.length) parts.push(s.notes.map((n) => `- ${n}`).join('\n'));
  return parts.join('\n\n');
}
