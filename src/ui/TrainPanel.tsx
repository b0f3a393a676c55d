/**
 * Fine-tune in the tab: the data (uploads by drop, picker, folder or paste; or built-in
 * MNIST digits / emoji), a compact settings panel, play / pause / step / stop, and the live
 * view (loss chart, rates, ETA, fixed-noise previews with a scrubbable strip and, on
 * uploads, each sample beside its nearest upload). Components
 * only read the store and call its actions; decoding and training run in the worker.
 * The upload controls live in UploadSection.tsx.
 */
import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { EMOJI_CATEGORIES } from '../core/data/catalog';
import { estimateTrainingMemory, formatBytes } from '../core/data/uploadPrep';
import { isTraining, iterationsPerSecond } from '../store/store';
import type { PreviewFrame, UploadItem } from '../store/types';
import { DEFAULT_TRAINING_RECIPE, TRAINING_RECIPE_IDS, TRAINING_RECIPE_INFO } from '../shared/recipes';
import { AUGMENTATIONS, AUGMENTATION_INFO, augmentationsText } from '../shared/augment';
import { TRAINING_LIMITS, type NumericSetting } from '../worker/trainingSettings';
import { ErrorBox, StatusPill, fmtDuration } from './common';
import { downloadBytes } from './download';
import { composeGrid, pairGrid, tileRect, type Pixels } from './grid';
import { LossChart } from './LossChart';
import { TrainTChart } from './LabTChart';
import { RgbaCanvas, toRgba } from './RgbaCanvas';
import { useApp, useAppStoreApi } from './storeContext';
import { UploadSection, isTrainingState } from './UploadSection';

/** A recipe's description with "T_dg" written as T with a subscript. */
function RecipeNote({ text }: { text: string }) {
  return (
    <>
      {text.split(/(T_dg)/).map((part, i) =>
        part === 'T_dg' ? (
          <span key={i}>
            T<sub>dg</sub>
          </span>
        ) : (
          part
        ),
      )}
    </>
  );
}

/** The class a label of a segmented choice gets: `on` for the option that is selected (app.css). */
const onIf = (selected: boolean): string | undefined => (selected ? 'on' : undefined);

/** How many images the built-in choice selects (or that it is being counted). */
function SelectionCount({ what }: { what: string }) {
  const sel = useApp((s) => s.train.selection);
  return (
    <p className="muted small" data-testid="selection-count" data-count={sel?.count ?? ''} data-total={sel?.total ?? ''}>
      {sel === null ? `Counting the ${what}…` : sel.count === 0 ? `No ${what} selected: choose some to train on.` : `${sel.count.toLocaleString('en-US')} of ${sel.total.toLocaleString('en-US')} ${what} selected.`}
    </p>
  );
}

function DataSection() {
  const t = useApp(useShallow((s) => ({ status: s.train.status, source: s.train.source, digits: s.train.digits, emojiCategory: s.train.emojiCategory, emojiSearch: s.train.emojiSearch, emojiSet: s.train.emojiSet })));
  const actions = useApp((s) => s.actions);
  const busy = isTrainingState(t.status);
  return (
    <fieldset className="train-data" disabled={busy}>
      <legend>Data</legend>
      <div className="segmented" role="radiogroup" aria-label="Training data">
        {(['uploads', 'mnist', 'emoji'] as const).map((src) => (
          <label key={src} className={onIf(t.source === src)} data-testid={`source-label-${src}`}>
            <input type="radio" name="train-source" data-testid={`source-${src}`} checked={t.source === src} onChange={() => actions.setDataSource(src)} />
            {src === 'uploads' ? 'My images' : src === 'mnist' ? 'MNIST' : 'Emoji'}
          </label>
        ))}
      </div>
      <p className="muted small">
        2-D toy sets (25 Gaussians, ring, swiss roll, two moons) train small MLP recipes in the{' '}
        <a href="#lab-heading">mode-coverage lab</a> below.
      </p>
      {t.source === 'uploads' && <UploadSection />}
      {t.source === 'mnist' && (
        <>
          <div className="digits" data-testid="mnist-digits">
            {Array.from({ length: 10 }, (_, d) => (
              <label key={d} className={onIf(t.digits.includes(d))}>
                <input
                  type="checkbox"
                  data-testid={`digit-${d}`}
                  checked={t.digits.includes(d)}
                  onChange={(e) => actions.setDigits(e.target.checked ? [...t.digits, d] : t.digits.filter((x) => x !== d))}
                />
                {d}
              </label>
            ))}
            <button type="button" className="secondary small" data-testid="digits-all" disabled={t.digits.length === 10} onClick={() => actions.setDigits([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])}>
              All
            </button>
            <button type="button" className="secondary small" data-testid="digits-none" disabled={t.digits.length === 0} onClick={() => actions.setDigits([])}>
              None
            </button>
          </div>
          <SelectionCount what="digit images" />
        </>
      )}
      {t.source === 'emoji' && (
        <div className="emoji-filter">
          <label className="field">
            <span>Styles</span>
            <select data-testid="emoji-set" value={t.emojiSet} onChange={(e) => actions.setEmojiSet(e.target.value === 'icons' ? 'icons' : 'emoji')}>
              <option value="emoji">Twemoji only</option>
              <option value="icons">Twemoji, Noto and Fluent (three drawings of each)</option>
            </select>
          </label>
          <label className="field">
            <span>Category</span>
            <select data-testid="emoji-category" value={t.emojiCategory ?? ''} onChange={(e) => actions.setEmojiFilter(e.target.value === '' ? null : Number(e.target.value), t.emojiSearch)}>
              <option value="">any</option>
              {EMOJI_CATEGORIES.map((c, i) => (
                <option key={c} value={i}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Search</span>
            <input type="search" data-testid="emoji-search" value={t.emojiSearch} placeholder="e.g. cat, heart" onChange={(e) => actions.setEmojiFilter(t.emojiCategory, e.target.value)} />
          </label>
          <SelectionCount what="emoji" />
          <p className="muted" data-testid="emoji-credit">
            {t.emojiSet === 'icons'
              ? 'Twemoji © Twitter, CC-BY 4.0; Noto Emoji © Google, Apache 2.0; Fluent Emoji © Microsoft, MIT.'
              : 'Twemoji © Twitter, CC-BY 4.0.'}
          </p>
        </div>
      )}
    </fieldset>
  );
}

/**
 * One numeric setting. The field shows what was typed; a value the rules refuse
 * (src/worker/trainingSettings.ts: range, whole numbers) is not taken, and the reason is
 * shown under the field until it is corrected.
 */
function SettingField({ label, k, step, disabled }: { label: string; k: NumericSetting; step: number; disabled: boolean }) {
  const v = useApp((s) => s.train.settings[k]);
  const error = useApp((s) => s.train.settingErrors[k] ?? null);
  const actions = useApp((s) => s.actions);
  const [text, setText] = useState(String(v));
  // A new value from elsewhere (a resumed session's settings) replaces what the field shows.
  useEffect(() => setText((old) => (Number(old) === v && old.trim() !== '' ? old : String(v))), [v]);
  const [min, max] = TRAINING_LIMITS[k];
  return (
    <label className={`field${error ? ' invalid' : ''}`}>
      <span>{label}</span>
      <input
        type="number"
        data-testid={`train-${k}`}
        value={text}
        step={step}
        min={min}
        max={max}
        disabled={disabled}
        aria-invalid={error !== null}
        onChange={(e) => {
          setText(e.target.value);
          actions.setTrainSettings({ [k]: e.target.value.trim() === '' ? NaN : e.target.valueAsNumber });
        }}
      />
      {error && (
        <span className="field-error" role="alert" data-testid={`train-${k}-error`}>
          {error}; {label} stays {v}.
        </span>
      )}
    </label>
  );
}

function SettingsSection() {
  const t = useApp(
    useShallow((s) => ({
      status: s.train.status,
      source: s.train.source,
      uploads: s.train.uploads,
      init: s.train.init,
      settings: s.train.settings,
      run: s.train.run,
      // The run's own note (below the controls) says it once a run has started.
      noted: s.train.note !== null,
    })),
  );
  const model = useApp((s) => s.models.result?.model ?? null);
  const actions = useApp((s) => s.actions);
  const busy = isTrainingState(t.status);
  const recipe = t.settings.recipe ?? DEFAULT_TRAINING_RECIPE;
  const augment = t.settings.augment ?? [];
  const images = t.source === 'uploads' ? t.uploads.length : 0;
  const mem = model
    ? estimateTrainingMemory({
        generatorParams: model.paramCount,
        // D is built in the worker; until a run reports it, assume a D about the G's size.
        discriminatorParams: t.run?.discriminatorParams ?? model.paramCount,
        batch: t.settings.batch,
        imageSize: model.imageSize,
        channels: model.channels,
        // G base + D base channels: 16 + 16 for the shipped model (D follows G, see the worker).
        baseChannels: 32,
        images: images || 1000,
      })
    : null;
  return (
    <fieldset className="train-settings" disabled={busy}>
      <legend>Training</legend>
      <div className="segmented" role="radiogroup" aria-label="Start from">
        <label className={onIf(t.init === 'finetune')} data-testid="init-label-finetune">
          <input type="radio" name="train-init" data-testid="init-finetune" checked={t.init === 'finetune'} onChange={() => actions.setTrainInit('finetune')} />
          Fine-tune {model?.name ?? 'the loaded model'}
        </label>
        <label className={onIf(t.init === 'scratch')} data-testid="init-label-scratch">
          <input type="radio" name="train-init" data-testid="init-scratch" checked={t.init === 'scratch'} onChange={() => actions.setTrainInit('scratch')} />
          From scratch
        </label>
      </div>
      <div className="segmented" role="radiogroup" aria-label="Training recipe">
        {TRAINING_RECIPE_IDS.map((id) => (
          <label key={id} className={onIf(recipe === id)} data-testid={`recipe-label-${id}`}>
            <input type="radio" name="train-recipe" data-testid={`recipe-${id}`} checked={recipe === id} onChange={() => actions.setTrainSettings({ recipe: id })} />
            {TRAINING_RECIPE_INFO[id].label}
          </label>
        ))}
      </div>
      <p className="muted" data-testid="recipe-note" data-recipe={recipe}>
        <RecipeNote text={TRAINING_RECIPE_INFO[recipe].description} />
      </p>
      {t.init === 'finetune' && !t.noted && (
        <p className="muted" data-testid="finetune-note">
          G starts from the model’s generator. The discriminator starts from the model’s own when it ships one (the colour base models do); otherwise it starts fresh and its first iterations train it.
        </p>
      )}
      <div className="augment-choices" role="group" aria-label="Augment what the discriminator sees" data-testid="augment" data-value={augmentationsText(augment)}>
        <span className="muted small">Augment what D sees (reals and fakes alike, so G does not learn the changes):</span>
        {AUGMENTATIONS.map((a) => (
          <label key={a} className={onIf(augment.includes(a))} title={AUGMENTATION_INFO[a]} data-testid={`augment-label-${a}`}>
            <input
              type="checkbox"
              data-testid={`augment-${a}`}
              checked={augment.includes(a)}
              onChange={(e) => actions.setTrainSettings({ augment: AUGMENTATIONS.filter((x) => (x === a ? e.target.checked : augment.includes(x))) })}
            />
            {a}
          </label>
        ))}
      </div>
      <div className="settings-grid">
        <label className="field">
          <span>T</span>
          <input type="number" value={model?.T ?? 4} disabled title="T is fixed by the model's architecture" readOnly />
        </label>
        <SettingField label="Iterations" k="iterations" step={10} disabled={busy} />
        <SettingField label="Batch" k="batch" step={1} disabled={busy} />
        <SettingField label="lr G" k="lrG" step={1e-5} disabled={busy} />
        <SettingField label="lr D" k="lrD" step={1e-5} disabled={busy} />
        <SettingField label="R1 γ" k="r1Gamma" step={0.01} disabled={busy} />
        <SettingField label="EMA" k="emaDecay" step={0.001} disabled={busy} />
        <SettingField label="Preview every" k="previewEvery" step={1} disabled={busy} />
        <SettingField label="Seed" k="seed" step={1} disabled={busy} />
      </div>
      {mem && (
        <p className="muted" data-testid="memory-estimate" data-bytes={mem.totalBytes}>
          Memory budget, about {formatBytes(mem.totalBytes)} at batch {t.settings.batch}: weights and optimiser {formatBytes(mem.weightsBytes)}, peak activations{' '}
          {formatBytes(mem.activationBytes)}, data {formatBytes(mem.dataBytes)}.{mem.totalBytes > 1.5e9 && ' That is a lot for a tab: lower the batch.'}
          {TRAINING_RECIPE_INFO[recipe].chainFakes && model && model.T > 1 && ` ${TRAINING_RECIPE_INFO[recipe].label} backpropagates through all ${model.T} generator calls of the chain: its activations can reach several times this.`}
        </p>
      )}
    </fieldset>
  );
}

/**
 * The grid of a preview, laid out once per preview: a new preview then costs one layout and
 * one canvas draw, not one per preview in the strip (up to MAX_PREVIEWS of them).
 */
const previewGrids = new WeakMap<PreviewFrame, { readonly px: Pixels; readonly key: number }>();
let nextPreviewKey = 0;
function previewGrid(p: PreviewFrame): { readonly px: Pixels; readonly key: number } {
  let g = previewGrids.get(p);
  // The key follows the preview, so the strip keeps its canvases when the oldest drop out.
  if (!g) previewGrids.set(p, (g = { px: composeGrid(p.frame, p.batch, p.width, p.height), key: nextPreviewKey++ }));
  return g;
}

/** The pairs of a preview: one picture, and for each sample its nearest upload and where the pair sits. */
interface PreviewPairs {
  readonly px: Pixels;
  readonly pairs: readonly { readonly sample: number; readonly nearest: number; readonly name: string | null; readonly rect: ReturnType<typeof tileRect> }[];
}

/**
 * Laid out once per preview and set of uploads, as one picture (one canvas draw per preview,
 * as for the grid), with a see-through box over each pair for its name and test attributes.
 */
const previewPairCache = new WeakMap<PreviewFrame, { readonly uploads: readonly UploadItem[]; readonly layout: PreviewPairs }>();
function previewPairs(p: PreviewFrame, nearest: readonly number[], uploads: readonly UploadItem[]): PreviewPairs {
  const cached = previewPairCache.get(p);
  if (cached && cached.uploads === uploads) return cached.layout;
  const partners = Array.from({ length: p.batch }, (_, i) => {
    const up = uploads[nearest[i]];
    return up !== undefined && up.size === p.width && up.size === p.height ? up : null;
  });
  const { px, geometry } = pairGrid(
    p.frame,
    p.batch,
    p.width,
    p.height,
    partners.map((up) => (up ? toRgba(up.pixels, up.size, up.channels) : null)),
  );
  const layout = { px, pairs: partners.map((up, i) => ({ sample: i, nearest: nearest[i], name: up?.name ?? null, rect: tileRect(geometry, i) })) };
  previewPairCache.set(p, { uploads, layout });
  return layout;
}

/**
 * Each fixed-noise sample beside the upload nearest to it in pixel space (the worker finds
 * it): a sample that repeats its upload shows copying, one that only shares its look shows
 * adaptation.
 */
function PreviewPairsView({ preview }: { preview: PreviewFrame }) {
  const uploads = useApp((s) => s.train.runUploads);
  if (!uploads || !preview.nearest || preview.nearest.length !== preview.batch) return null;
  const { px, pairs } = previewPairs(preview, preview.nearest, uploads);
  return (
    <div className="preview-pairs-block">
      <h4>Each sample beside its nearest upload</h4>
      <p className="muted small">Left of each pair: the sample; right: the upload closest to it pixel by pixel. A pair that matches is a copy; a sample that only looks like its upload has adapted.</p>
      <div className="preview-pairs" data-testid="preview-pairs" data-pairs={pairs.length} data-iteration={preview.iteration}>
        <RgbaCanvas pixels={px} className="preview-pairs-grid" label={`Samples at iteration ${preview.iteration}, each beside its nearest upload`} />
        {pairs.map((p) => (
          <span
            key={p.sample}
            className="preview-pair"
            data-testid="preview-pair"
            data-sample={p.sample}
            data-nearest={p.nearest}
            title={`sample ${p.sample + 1} · nearest upload: ${p.name ?? 'no longer listed'}`}
            style={{ left: `${p.rect.left}%`, top: `${p.rect.top}%`, width: `${p.rect.width}%`, height: `${p.rect.height}%` }}
          />
        ))}
      </div>
    </div>
  );
}

function PreviewSection() {
  const previews = useApp((s) => s.train.previews);
  const index = useApp((s) => s.train.previewIndex);
  const actions = useApp((s) => s.actions);
  const shown: PreviewFrame | undefined = previews[index ?? previews.length - 1];
  const grid = shown ? previewGrid(shown).px : null;
  const strip = useMemo(() => previews.map((p) => ({ iteration: p.iteration, ...previewGrid(p) })), [previews]);
  if (!shown || !grid) return null;
  return (
    <div className="previews">
      <h3>
        Fixed-noise samples (EMA generator) at iteration <span data-testid="preview-iteration">{shown.iteration}</span>
      </h3>
      <div className="before-after">
        {strip.length > 1 && (
          <figure>
            <RgbaCanvas pixels={strip[0].px} className="preview-grid" testId="preview-before" label={`Before: samples at iteration ${strip[0].iteration}`} />
            <figcaption>before (iteration {strip[0].iteration})</figcaption>
          </figure>
        )}
        <figure>
          <RgbaCanvas pixels={grid} className="preview-grid" testId="preview-grid" label={`Samples at iteration ${shown.iteration}`} data={{ 'data-iteration': String(shown.iteration), 'data-previews': String(previews.length) }} />
          <figcaption>{strip.length > 1 ? `after (iteration ${shown.iteration})` : `iteration ${shown.iteration}`}: same noise, same seed</figcaption>
        </figure>
      </div>
      <PreviewPairsView preview={shown} />
      {previews.length > 1 && (
        <>
          <input
            type="range"
            data-testid="preview-slider"
            aria-label="Preview history"
            min={0}
            max={previews.length - 1}
            value={index ?? previews.length - 1}
            onChange={(e) => actions.selectPreview(e.target.valueAsNumber === previews.length - 1 ? null : e.target.valueAsNumber)}
          />
          <div className="preview-strip" data-testid="preview-strip">
            {strip.map((p, i) => (
              <button key={p.key} type="button" className={i === (index ?? previews.length - 1) ? 'selected' : ''} onClick={() => actions.selectPreview(i === previews.length - 1 ? null : i)} title={`iteration ${p.iteration}`}>
                <RgbaCanvas pixels={p.px} label={`iteration ${p.iteration}`} />
              </button>
            ))}
          </div>
        </>
      )}
    </div>
  );
}

function LiveStats() {
  const t = useApp((s) => s.train);
  const itps = iterationsPerSecond(t.series);
  const remaining = t.settings.iterations - t.iteration;
  const eta = itps > 0 ? remaining / itps : NaN;
  const last = t.length > 0 ? t.length - 1 : -1;
  const s = t.series;
  return (
    <dl className="facts compact train-stats">
      <dt>Iteration</dt>
      <dd data-testid="train-iteration" data-value={t.iteration} data-start={t.run?.startIteration ?? ''}>
        {t.iteration} / {t.settings.iterations}
      </dd>
      <dt>Speed</dt>
      <dd data-testid="train-speed" data-its={itps.toFixed(3)} data-images={(itps * t.settings.batch).toFixed(2)}>
        {itps.toFixed(2)} it/s · {(itps * t.settings.batch).toFixed(1)} images/s
      </dd>
      <dt>Elapsed</dt>
      <dd data-testid="train-elapsed" data-ms={Math.round(t.elapsedMs)}>
        {fmtDuration(t.elapsedMs / 1000)}
        {/* Only a run that goes on has a time left: after Stop or an error there is none. */}
        {(t.status === 'running' || t.status === 'paused') && Number.isFinite(eta) && remaining > 0 && ` · ETA ${fmtDuration(eta)}`}
      </dd>
      {last >= 0 && (
        <>
          <dt>Losses</dt>
          <dd data-testid="train-losses" data-loss-d={s.lossD[last]} data-loss-g={s.lossG[last]}>
            D {s.lossD[last].toFixed(3)} · G {s.lossG[last].toFixed(3)} · D(real) {s.dReal[last].toFixed(2)} · D(fake) {s.dFake[last].toFixed(2)}
          </dd>
        </>
      )}
      {last >= 0 && s.diffusionT[last] !== null && (
        <>
          <dt>Diffusion-GAN</dt>
          <dd data-testid="train-diffusion-t" data-t={s.diffusionT[last] ?? ''} data-rd={s.rd[last] ?? ''} title="T_dg: the current number of diffusion steps; r_d = E[sign D(real)], averaged between updates (T_dg rises while r_d is above the target 0.6)">
            T<sub>dg</sub> {s.diffusionT[last]} · r<sub>d</sub> {s.rd[last] === null ? '–' : s.rd[last]!.toFixed(2)}
          </dd>
        </>
      )}
      {t.memory && (
        <>
          <dt>Worker memory</dt>
          <dd data-testid="train-memory" data-bytes={t.memory.numBytes}>
            {formatBytes(t.memory.numBytes)} in {t.memory.numTensors} tensors
          </dd>
        </>
      )}
    </dl>
  );
}

function SessionsSection() {
  const sessions = useApp((s) => s.train.sessions);
  const current = useApp((s) => s.train.sessionId);
  const autosave = useApp((s) => s.train.autosave);
  const canResume = useApp((s) => s.engine.status === 'ready' && !isTraining(s));
  const actions = useApp((s) => s.actions);
  return (
    <div className="sessions">
      {autosave.status !== 'idle' && (
        <p className={autosave.status === 'error' ? 'warning' : 'muted'} data-testid="autosave-status" data-state={autosave.status} data-iteration={autosave.iteration} data-saved-iteration={autosave.savedIteration ?? ''}>
          {autosave.status === 'error'
            ? autosave.message
            : autosave.status === 'saving'
              ? `Saving iteration ${autosave.iteration}…${autosave.savedIteration !== null ? ` (iteration ${autosave.savedIteration} is saved)` : ''}`
              : `Saved at iteration ${autosave.iteration} (this browser; survives a reload).`}
        </p>
      )}
      {sessions.length > 0 && (
        <details open>
          <summary>Saved sessions ({sessions.length})</summary>
          <ul data-testid="saved-sessions">
            {sessions.map((s) => (
              <li key={s.id} data-session={s.id} data-iteration={s.iteration} data-state={s.state ?? ''} data-model={s.modelName} data-label={s.dataLabel}>
                {s.modelName} · {s.dataLabel} · iteration {s.iteration} / {s.targetIterations} · {formatBytes(s.bytes)} · {new Date(s.savedAt).toLocaleString()}
                {s.id !== current && (s.state === 'running' || s.state === 'paused') && <span className="muted"> · interrupted (or training in another tab)</span>}
                <button type="button" className="small" data-testid="session-resume" disabled={!canResume} onClick={() => void actions.resumeSession(s.id)}>
                  {s.id === current ? 'Continue' : 'Resume'}
                </button>
                <button type="button" className="secondary small" data-testid="session-delete" disabled={!canResume} onClick={() => void actions.deleteSession(s.id)}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

export function TrainPanel() {
  const t = useApp(
    useShallow((s) => ({
      status: s.train.status,
      decoding: s.train.decoding,
      hidden: s.train.hidden,
      note: s.train.note,
      message: s.train.message,
      lastGoodIteration: s.train.lastGoodIteration,
      error: s.train.error,
      live: s.train.run !== null || s.train.length > 0,
      // The recipe reports an adaptive number of diffusion steps (Diffusion-GAN's T_dg).
      adaptiveT: s.train.run ? TRAINING_RECIPE_INFO[s.train.run.recipe].reports.includes('diffusionT') : false,
      exportable: s.train.checkpoint !== null && (s.train.status === 'done' || s.train.status === 'stopped'),
      restored: s.train.restored,
      // The object itself (a stable reference): a list made here would be new at every render.
      settingErrors: s.train.settingErrors,
    })),
  );
  const invalid = Object.values(t.settingErrors);
  const noImages = useApp((s) => s.train.source === 'uploads' && s.train.uploads.length === 0);
  const ready = useApp((s) => s.engine.status === 'ready' && s.models.status === 'ready');
  const training = useApp(isTraining);
  const actions = useApp((s) => s.actions);
  const store = useAppStoreApi();

  useEffect(() => {
    // Hiding the page (also on the way out: a reload or a close hides it first) makes the
    // worker save the run at once, on top of its saves every few seconds.
    const onVis = (): void => store.getState().actions.setHidden(document.hidden);
    const onHide = (): void => store.getState().actions.setHidden(true);
    document.addEventListener('visibilitychange', onVis);
    window.addEventListener('pagehide', onHide);
    return () => {
      document.removeEventListener('visibilitychange', onVis);
      window.removeEventListener('pagehide', onHide);
    };
  }, [store]);

  return (
    <section className="card train" aria-labelledby="train-heading">
      <div className="card-head">
        <h2 id="train-heading">Fine-tune</h2>
        <StatusPill testId="train-status" state={t.status} />
      </div>
      <DataSection />
      <SettingsSection />
      <div className="controls">
        <button
          type="button"
          className="primary"
          data-testid="train-start"
          disabled={!ready || training || t.decoding !== null || invalid.length > 0 || noImages}
          title={invalid.length > 0 ? `Fix the settings first: ${invalid.join('; ')}` : noImages ? 'Add some images first, or train on the MNIST digits or the emoji' : undefined}
          onClick={() => void actions.startTraining()}
        >
          Train
        </button>
        <button type="button" className="secondary" data-testid="train-pause" disabled={t.status !== 'running'} onClick={() => void actions.pauseTraining()}>
          Pause
        </button>
        <button type="button" className="secondary" data-testid="train-resume" disabled={t.status !== 'paused'} onClick={() => void actions.resumeTraining()}>
          Resume
        </button>
        <button type="button" className="secondary" data-testid="train-step" disabled={t.status !== 'paused'} onClick={() => void actions.stepTraining()}>
          Step
        </button>
        <button type="button" className="secondary" data-testid="train-stop" disabled={!training || t.status === 'starting'} onClick={() => void actions.stopTraining()}>
          Stop
        </button>
        <button
          type="button"
          className="secondary"
          data-testid="train-export"
          disabled={!t.exportable}
          title="Download the EMA generator of the last checkpoint as a model file (tfjs model.json + weights, with metadata)"
          onClick={() => {
            const f = actions.exportModelFile();
            if (f) downloadBytes(f.bytes as Uint8Array<ArrayBuffer>, f.filename, 'application/json');
          }}
        >
          Export model
        </button>
        <button
          type="button"
          className="secondary"
          data-testid="train-use"
          disabled={!t.exportable}
          title="Load the fine-tuned EMA generator into Generate (compare it with the base model on the same seed)"
          onClick={() => {
            const f = actions.exportModelFile();
            if (f) void actions.importModelFile({ name: f.filename, size: f.bytes.byteLength, arrayBuffer: async () => f.bytes.slice().buffer });
          }}
        >
          Use in Generate
        </button>
      </div>
      {t.hidden && training && (
        <p className="warning" role="status" data-testid="train-hidden">
          This tab is in the background: the browser may slow training down until you come back.
        </p>
      )}
      {t.restored && (
        <p className="notice" role="status" data-testid="train-restored">
          {t.restored}
        </p>
      )}
      {t.note && <p className="muted" data-testid="train-note">{t.note}</p>}
      {t.status === 'diverged' && (
        <div className="error" role="alert" data-testid="train-diverged">
          <p>{t.message}</p>
          <button type="button" data-testid="train-rollback" disabled={t.lastGoodIteration === null} onClick={() => void actions.rollbackTraining()}>
            Roll back to iteration {t.lastGoodIteration ?? '–'}
          </button>
        </div>
      )}
      {t.status !== 'diverged' && t.message && <p className="muted" data-testid="train-message">{t.message}</p>}
      {noImages && !training && (
        <p className="muted small" data-testid="train-needs-images">
          Add some images above to train on them, or pick the MNIST digits or the emoji as the data.
        </p>
      )}
      {t.error && <ErrorBox testId="train-error" error={t.error} />}
      <SessionsSection />
      {t.live && <LiveStats />}
      <LossChart />
      {t.adaptiveT && <TrainTChart />}
      <PreviewSection />
    </section>
  );
}
