/** Small presentational pieces shared by the panels. */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { SerializedError } from '../worker/protocol';

export function StatusPill({ testId, state, label }: { testId: string; state: string; label?: string }) {
  return (
    <span className={`pill pill-${state}`} data-testid={testId} data-state={state}>
      {label ?? state}
    </span>
  );
}

export function Fact({ label, testId, value, data, children }: { label: string; testId: string; value: string; data?: Record<string, string>; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId} data-value={value} {...data}>
        {children}
      </dd>
    </>
  );
}

export function NumberField(props: { label: string; testId: string; value: number; min?: number; max?: number; step?: number; disabled?: boolean; onChange(v: number): void }) {
  return (
    <label className="field">
      <span>{props.label}</span>
      <input
        type="number"
        data-testid={props.testId}
        value={props.value}
        min={props.min}
        max={props.max}
        step={props.step ?? 1}
        disabled={props.disabled}
        onChange={(e) => {
          const v = e.target.valueAsNumber;
          // An empty or half-typed field is NaN: keep the last valid value instead.
          if (Number.isFinite(v)) props.onChange(Math.round(v));
        }}
      />
    </label>
  );
}

export function ErrorBox({ testId, error, children }: { testId: string; error: SerializedError; children?: ReactNode }) {
  return (
    <div className="error" role="alert" data-testid={testId} data-code={error.code} data-name={error.name}>
      <strong>{error.name}</strong> <code>{error.code}</code>
      <p>{error.message}</p>
      {children}
    </div>
  );
}

/** A labelled progress bar; `value`/`max` also land in data attributes for tests. */
export function Progress({ testId, label, value, max, detail, phase }: { testId: string; label: string; value: number; max: number; detail: string; phase?: string }) {
  const pct = max > 0 ? Math.min(100, (100 * value) / max) : 0;
  return (
    <div className="progress" data-testid={testId} data-value={value} data-max={max} data-phase={phase}>
      <div className="progress-label">
        <span>{label}</span>
        <span className="muted">{detail}</span>
      </div>
      <div className="progress-track" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={value}>
        <div className="progress-fill" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

/** A duration in seconds as '42 s', '12 min', '2.5 h'. */
export function fmtDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return `${n} `;
}

export function fmtBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** x with a subscript step index, as text: x₄, x₀. */
export function xSub(k: number | string): string {
  const subs = '₀₁₂₃₄₅₆₇₈₉';
  return `x${String(k).replace(/\d/g, (d) => subs[Number(d)])}`;
}

/**
 * Whole seconds since `active` last became true, ticking once a second while it stays true
 * (null while inactive): a long wait shows that it is still going.
 */
export function useElapsedSeconds(active: boolean): number | null {
  const since = useRef<number | null>(null);
  const [, tick] = useState(0);
  if (active && since.current === null) since.current = Date.now();
  if (!active) since.current = null;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return since.current === null ? null : Math.floor((Date.now() - since.current) / 1000);
}
