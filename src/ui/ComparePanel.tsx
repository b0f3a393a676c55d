/**
 * The Compare view: the generative learning trilemma side by side. The same seed and batch
 * go through DD-GAN (T = 4) and the DDPM samplers the user picks from the core list
 * (DDIM-50 and ancestral DDPM-1000 by default, DPM-Solver++ with its step count, …); each
 * row fills its own grid live with its step count (= NFE), wall time and images per
 * second, next to the quality metrics stored with its checkpoint. The DD-GAN row finishes
 * long before the DDPM rows; each speed-up is shown as soon as DD-GAN is done (a lower
 * bound while the other row still runs). Below: the T ablation and class control
 * (CompareLabs.tsx).
 *
 * Components only read the store and call its actions; the sampling runs in the worker.
 */
import { useShallow } from 'zustand/react/shallow';
import { infoOf } from '../core/diffusion/samplers/specs';
import { canCompare, isCompareBusy } from '../store/store';
import { baselinesFor, compareChoices, datasetLabel, noBaselineReason, samplerRowLabel, speedup, type Speedup } from '../store/compareModels';
import type { CompareBaseline, CompareRowView, CompareSettings } from '../store/types';
import { COMPARE_LIMITS } from '../worker/protocol';
import { ErrorBox, NumberField, StatusPill, fmtMs } from './common';
import { CompareRow } from './CompareRow';
import { AblationSection, ClassControlSection } from './CompareLabs';
import { useApp } from './storeContext';

function Segmented<V extends string>({ legend, name, value, options, disabled, onChange }: { legend: string; name: string; value: V; options: readonly { value: V; label: string; title?: string }[]; disabled?: boolean; onChange(v: V): void }) {
  return (
    <fieldset className="segmented" aria-label={legend} disabled={disabled}>
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o.value} className={value === o.value ? 'on' : ''} title={o.title}>
          <input type="radio" name={name} data-testid={`${name}-${o.value}`} checked={value === o.value} onChange={() => onChange(o.value)} />
          {o.label}
        </label>
      ))}
    </fieldset>
  );
}

function fmtRatio(r: number): string {
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

function SpeedupLine({ label, s, testId }: { label: string; s: Speedup; testId: string }) {
  if (s.kind === 'none') return null;
  return (
    <p className="compare-speedup" data-testid={testId} data-kind={s.kind} data-ratio={s.ratio}>
      DD-GAN sampled this batch{' '}
      <strong>
        {s.kind === 'lower-bound' ? '≥ ' : ''}
        {fmtRatio(s.ratio)}× faster
      </strong>{' '}
      than {label}
      {s.kind === 'lower-bound' && (
        <span className="muted small" data-testid={`${testId}-note`} data-projected={s.projected ?? ''}>
          {' '}
          ({label} {s.running ? 'has done' : 'was cancelled after'} {s.step} of {s.steps} steps
          {s.projected !== null && `; at its pace so far it ${s.running ? 'will end' : 'would have ended'} near ${fmtRatio(s.projected)}×`})
        </span>
      )}
    </p>
  );
}

function CompareSettingsForm({ busy }: { busy: boolean }) {
  const settings = useApp((s) => s.compare.settings);
  const { catalog, auxiliary } = useApp(useShallow((s) => ({ catalog: s.models.catalog, auxiliary: s.models.auxiliary })));
  const actions = useApp((s) => s.actions);
  const set = (p: Partial<CompareSettings>): void => actions.setCompareSettings(p);
  const choice = compareChoices(catalog, auxiliary, settings);
  // Only DDPMs trained on the chosen DD-GAN's data: a fair pair or none.
  const ddpms = baselinesFor(auxiliary, choice.ddgan);
  return (
    <fieldset className="compare-settings" disabled={busy}>
      <legend>Run</legend>
      <div className="lab-choices">
        <label className="field">
          <span>DD-GAN</span>
          <select data-testid="compare-ddgan" value={choice.ddgan?.name ?? ''} onChange={(e) => set({ ddgan: e.target.value })} disabled={catalog.length === 0}>
            {catalog.length === 0 && <option value="">none ships with the app</option>}
            {catalog.map((m) => (
              <option key={m.name} value={m.name}>
                {m.name} (T = {m.T}, {datasetLabel(m.dataset)}
                {baselinesFor(auxiliary, m).length === 0 ? ': no DDPM' : ''})
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>DDPM</span>
          <select data-testid="compare-ddpm" value={choice.ddpm?.name ?? ''} onChange={(e) => set({ ddpm: e.target.value })} disabled={ddpms.length === 0}>
            {ddpms.length === 0 && <option value="">none trained on {choice.ddgan ? datasetLabel(choice.ddgan.dataset) : 'these images'}</option>}
            {ddpms.map((m) => (
              <option key={m.name} value={m.name}>
                {m.name} ({m.steps} steps, {datasetLabel(m.dataset)})
              </option>
            ))}
          </select>
        </label>
        <NumberField label="Batch" testId="compare-batch" value={settings.batch} min={1} max={COMPARE_LIMITS.batch} onChange={(batch) => set({ batch })} />
        <NumberField label="Seed" testId="compare-seed" value={settings.seed} min={0} max={0xffffffff} onChange={(seed) => set({ seed })} />
      </div>
      <BaselinePicker baselines={settings.baselines} ddpm={choice.ddpm} onChange={(baselines) => set({ baselines })} />
      <div className="lab-choices">
        <Segmented
          legend="Order"
          name="compare-order"
          value={settings.order}
          options={[
            { value: 'interleaved', label: 'side by side', title: 'the rows take turns on the device, so all three move at once' },
            { value: 'sequential', label: 'one after another', title: 'each row has the device to itself' },
          ]}
          onChange={(order) => set({ order })}
        />
        <Segmented
          legend="Preview"
          name="compare-preview"
          value={settings.preview}
          options={[
            { value: 'x0', label: 'predicted x̂₀', title: 'the clean image each step predicts' },
            { value: 'xt', label: 'state xₜ', title: 'the noisy state after each step' },
          ]}
          onChange={(preview) => set({ preview })}
        />
      </div>
    </fieldset>
  );
}

/**
 * The DDPM rows beside the DD-GAN: one checkbox per sampler of the core list, and a step
 * count for those that take one (DDIM, DPM-Solver++).
 */
function BaselinePicker({ baselines, ddpm, onChange }: { baselines: readonly CompareBaseline[]; ddpm: { readonly steps: number | null } | null; onChange(b: CompareBaseline[]): void }) {
  const update = (i: number, b: Partial<CompareBaseline>): void => onChange(baselines.map((x, j) => (j === i ? { ...x, ...b } : x)));
  return (
    <fieldset className="lab-choices compare-baselines" aria-label="DDPM rows">
      <legend>DDPM rows</legend>
      {baselines.map((b, i) => {
        const info = infoOf(b.spec.kind);
        const steps = info.params.steps;
        return (
          <span key={b.spec.kind} className="field compare-baseline" title={`${info.name}: ${info.about}`}>
            <label>
              <input type="checkbox" data-testid={`compare-pick-${info.id}`} checked={b.on} onChange={(e) => update(i, { on: e.target.checked })} />{' '}
              {samplerRowLabel(b.spec, ddpm)}
            </label>
            {steps && 'steps' in b.spec && (
              <NumberField
                label="steps"
                testId={`compare-steps-${info.id}`}
                value={b.spec.steps}
                min={steps.min}
                max={Math.min(steps.max, ddpm?.steps ?? steps.max)}
                onChange={(n) => update(i, { spec: { ...b.spec, steps: n } as CompareBaseline['spec'] })}
              />
            )}
          </span>
        );
      })}
    </fieldset>
  );
}

export function ComparePanel() {
  const run = useApp((s) => s.compare.trilemma);
  const ready = useApp(canCompare);
  const busy = useApp(isCompareBusy);
  const { catalog, auxiliary, catalogStatus } = useApp(useShallow((s) => ({ catalog: s.models.catalog, auxiliary: s.models.auxiliary, catalogStatus: s.models.catalogStatus })));
  const settings = useApp((s) => s.compare.settings);
  const actions = useApp((s) => s.actions);
  const choice = compareChoices(catalog, auxiliary, settings);
  const metricsOf = (r: CompareRowView): Readonly<Record<string, number>> | undefined =>
    r.sampler === 'ddgan' ? catalog.find((m) => m.name === r.model)?.metrics : auxiliary.find((m) => m.name === r.model)?.metrics;
  const byId = (id: string): CompareRowView | undefined => run.rows.find((r) => r.id === id);

  return (
    <section className="card compare" aria-labelledby="compare-heading" data-testid="compare-panel">
      <div className="card-head">
        <h2 id="compare-heading">Compare: fast, good and diverse?</h2>
        <StatusPill testId="compare-status" state={run.status} />
      </div>
      <p className="muted small">
        The same seed and batch through DD-GAN (a handful of large denoising steps, each a conditional GAN) and the DDPM ε-network with the
        samplers picked below: DDIM (50 steps), DPM-Solver++ (a second-order ODE solver, 10–20 steps) and ancestral DDPM (all its 1000 steps).
        Each network call is one NFE; the wall time of a row counts only its own turns on the device.
      </p>
      {catalogStatus === 'ready' && (!choice.ddgan || !choice.ddpm) && (
        <p className="warning" role="status" data-testid="compare-missing">
          {!choice.ddgan && 'No DD-GAN model ships with the app. '}
          {choice.ddgan && !choice.ddpm && `${noBaselineReason(auxiliary, choice.ddgan)} Only the DD-GAN row runs. `}
        </p>
      )}
      <CompareSettingsForm busy={busy} />
      <div className="controls compare-controls">
        <button type="button" className="primary" data-testid="compare-run" disabled={!ready || busy || !choice.ddgan} onClick={() => void actions.runCompare()}>
          Run side by side
        </button>
        <button type="button" className="secondary" data-testid="compare-cancel" disabled={!busy} onClick={() => void actions.cancelCompare()}>
          Cancel
        </button>
        {run.totalMs !== null && (
          <span className="muted small" data-testid="compare-total" data-value={run.totalMs}>
            whole run {fmtMs(run.totalMs)} (downloads included)
          </span>
        )}
      </div>
      {run.error && <ErrorBox testId="compare-error" error={run.error} />}
      {run.rows
        .filter((r) => r.id !== 'ddgan')
        .map((r) => (
          <SpeedupLine key={r.id} label={r.label} s={speedup(byId('ddgan'), r)} testId={`compare-speedup-${r.id}`} />
        ))}
      {run.rows.length > 0 && (
        <div className="compare-rows">
          {run.rows.map((r) => (
            <CompareRow key={r.id} row={r} metrics={metricsOf(r)} />
          ))}
        </div>
      )}
      <AblationSection />
      <ClassControlSection />
    </section>
  );
}
