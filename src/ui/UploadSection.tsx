/**
 * The upload part of the fine-tune panel: drop zone (files and folders), file and folder
 * pickers, paste anywhere on the page, capped thumbnails with a count (click one to remove
 * it), decoding progress and one message per file that was not loaded.
 */
import { useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import type { FewshotSet } from '../core/data/fewshot';
import { useShallow } from 'zustand/react/shallow';
import type { UploadSource } from '../store/types';
import { Progress } from './common';
import { RgbaCanvas, toRgba } from './RgbaCanvas';
import { useApp } from './storeContext';

export const isTrainingState = (st: string): boolean => st === 'starting' || st === 'running' || st === 'paused' || st === 'diverged';

/** Thumbnails drawn; the rest are counted (hundreds of canvases would slow the page). */
const MAX_THUMBS = 48;

/** Files of a drop, including the contents of dropped folders (recursively). */
async function droppedFiles(dt: DataTransfer): Promise<File[]> {
  const entries = [...dt.items].map((it) => it.webkitGetAsEntry?.() ?? null);
  if (entries.every((e) => e === null)) return [...dt.files];
  const out: File[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      out.push(await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej)));
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const e of batch) await walk(e);
      }
    }
  };
  for (const e of entries) if (e) await walk(e);
  return out;
}

export function UploadSection() {
  // Only what this section draws: a training iteration must not re-render the thumbnails.
  const t = useApp(
    useShallow((s) => ({ uploads: s.train.uploads, problems: s.train.problems, decoding: s.train.decoding, status: s.train.status, sampleSets: s.train.sampleSets, sampleSetsError: s.train.sampleSetsError })),
  );
  const model = useApp((s) => s.models.result?.model ?? null);
  const actions = useApp((s) => s.actions);
  const folderRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    // Not in React's input props: set the attribute that makes a folder picker.
    folderRef.current?.setAttribute('webkitdirectory', '');
    const onPaste = (e: ClipboardEvent): void => {
      const target = e.target as HTMLElement | null;
      if (target?.closest('input, textarea')) return;
      const files = [...(e.clipboardData?.files ?? [])];
      if (files.length > 0) {
        e.preventDefault();
        void actions.addFiles(files);
      }
    };
    window.addEventListener('paste', onPaste);
    void actions.loadSampleSets();
    return () => window.removeEventListener('paste', onPaste);
  }, [actions]);

  const add = (files: FileList | null): void => {
    if (files && files.length > 0) void actions.addFiles([...files] as UploadSource[]);
  };
  const onDrop = (e: DragEvent<HTMLDivElement>): void => {
    e.preventDefault();
    void droppedFiles(e.dataTransfer).then((files) => actions.addFiles(files));
  };
  const thumbs = useMemo(() => t.uploads.slice(0, MAX_THUMBS).map((u) => ({ id: u.id, name: u.name, px: toRgba(u.pixels, u.size, u.channels) })), [t.uploads]);

  return (
    <div className="upload" data-testid="upload-section">
      <div className="dropzone" data-testid="dropzone" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
        <p>
          Drop images or folders here, paste, or{' '}
          <label className="link">
            pick files
            <input type="file" multiple accept="image/png,image/jpeg,image/webp,image/gif" data-testid="upload-input" hidden onChange={(e) => (add(e.target.files), (e.target.value = ''))} />
          </label>{' '}
          or{' '}
          <label className="link">
            a folder
            <input type="file" ref={folderRef} data-testid="upload-folder" hidden onChange={(e) => (add(e.target.files), (e.target.value = ''))} />
          </label>
          .
        </p>
        <p className="muted">
          PNG, JPEG, WebP, GIF (first frame); centre-cropped and resized to {model ? `${model.imageSize}×${model.imageSize}${model.channels === 1 ? ', grey' : ''}` : 'the model’s size'} in the worker.
        </p>
      </div>
      <SampleSets sets={t.sampleSets} error={t.sampleSetsError} grey={model?.channels === 1} disabled={isTrainingState(t.status) || t.decoding !== null || !model} />
      {t.decoding && <Progress testId="decode-progress" label="Decoding" value={t.decoding.done} max={t.decoding.total} detail={`${t.decoding.done} / ${t.decoding.total}`} />}
      <p>
        <span data-testid="upload-count" data-count={t.uploads.length}>
          {t.uploads.length} image{t.uploads.length === 1 ? '' : 's'}
        </span>
        {t.uploads.length > 0 && (
          <button type="button" className="secondary small" data-testid="upload-clear" onClick={actions.clearUploads} disabled={isTrainingState(t.status)}>
            Clear
          </button>
        )}
      </p>
      <div className="thumbs" data-testid="upload-thumbs">
        {thumbs.map((th) => (
          <button key={th.id} type="button" className="thumb" title={`${th.name} (click to remove)`} onClick={() => actions.removeUpload(th.id)} disabled={isTrainingState(t.status)}>
            <RgbaCanvas pixels={th.px} label={th.name} />
          </button>
        ))}
        {t.uploads.length > MAX_THUMBS && <span className="muted">+{t.uploads.length - MAX_THUMBS} more</span>}
      </div>
      {t.problems.length > 0 && (
        <details open className="upload-problems">
          <summary data-testid="upload-problem-count" data-count={t.problems.length}>
            {t.problems.length} file{t.problems.length === 1 ? '' : 's'} not loaded
          </summary>
          <ul data-testid="upload-problems">
            {t.problems.slice(-100).map((p, i) => (
              <li key={i} data-name={p.name}>
                <strong>{p.name}</strong>: {p.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}



/**
 * Ready-made sets for a first try without images of one's own: 16 icons of one theme in a
 * drawing style the icon base model never saw, added to the uploads like picked files.
 */
function SampleSets({ sets, error, grey, disabled }: { sets: readonly FewshotSet[] | null; error: string | null; grey: boolean; disabled: boolean }) {
  const actions = useApp((s) => s.actions);
  const [picked, setPicked] = useState<string>('');
  if (error) {
    return (
      <p className="muted small" data-testid="sample-sets-error">
        {error}
      </p>
    );
  }
  if (!sets || sets.length === 0) return null;
  const set = sets.find((s) => s.name === picked) ?? sets[0];
  return (
    <div className="sample-sets" data-testid="sample-sets">
      <label className="field">
        <span>No images at hand? A ready-made set</span>
        <select data-testid="sample-set" value={set.name} onChange={(e) => setPicked(e.target.value)}>
          {sets.map((s) => (
            <option key={s.name} value={s.name}>
              {s.theme} ({s.style}, {s.files.length})
            </option>
          ))}
        </select>
      </label>
      <button type="button" className="secondary small" data-testid="sample-set-add" disabled={disabled} onClick={() => void actions.addSampleSet(set.name)}>
        Add these {set.files.length} images
      </button>
      <p className="muted small" data-testid="sample-set-credit">
        {set.credit}
        {grey && ' The loaded model draws grey images, so these are turned grey: pick a colour model above to fine-tune in colour.'}
      </p>
    </div>
  );
}
