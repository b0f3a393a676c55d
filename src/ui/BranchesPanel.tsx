/**
 * Re-roll branches side by side: the original run and each branch at the slider's position.
 * Scrub left of x_k and every column agrees (the kept prefix); right of it they part ways:
 * the multimodal denoising that lets DD-GAN take big steps.
 */
import { frameAt } from '../store/history';
import { ErrorBox, StatusPill, xSub } from './common';
import { FrameCanvas } from './FrameCanvas';
import { useApp } from './storeContext';

export function BranchesPanel() {
  const reroll = useApp((s) => s.reroll);
  const gen = useApp((s) => s.gen);
  const actions = useApp((s) => s.actions);
  const main = gen.trajectory;
  if (!main || reroll.fromK === null) return null;
  const k = reroll.fromK;

  return (
    <section className="card branches" aria-labelledby="branches-heading">
      <div className="card-head">
        <h2 id="branches-heading">
          Re-rolled from {xSub(k)}: {reroll.branches.length} branches
        </h2>
        <StatusPill testId="reroll-status" state={reroll.status} />
      </div>
      <p className="muted">
        Every branch keeps x<sub>T</sub> … {xSub(k)} of the original and draws new z and posterior noise for the {k} later{' '}
        {k === 1 ? 'step' : 'steps'}. Same noisy input, different clean images: each step's denoising distribution has several modes,
        which a Gaussian step (DDPM) cannot represent with steps this large.
      </p>
      <div className="branch-row">
        <figure className="branch">
          <FrameCanvas
            frame={frameAt(main, gen.position, gen.view)}
            batch={main.batch}
            width={main.width}
            height={main.height}
            testId="branch-canvas-original"
            label="original run"
            onSelect={(i) => actions.enlarge({ kind: 'main' }, i)}
          />
          <figcaption>original</figcaption>
        </figure>
        {reroll.branches.map((b, i) => (
          <figure className="branch" key={i}>
            <FrameCanvas
              frame={frameAt(b, gen.position, gen.view)}
              batch={b.batch}
              width={b.width}
              height={b.height}
              testId={`branch-canvas-${i}`}
              label={`branch ${i + 1}`}
              sampleTestId={`branch-${i}-sample`}
              onSelect={(s) => actions.enlarge({ kind: 'branch', index: i }, s)}
            />
            <figcaption>
              branch {i + 1}
              {reroll.seeds[i] !== undefined && <span className="muted"> · seed {reroll.seeds[i]}</span>}
            </figcaption>
          </figure>
        ))}
      </div>
      {reroll.error && <ErrorBox testId="reroll-error" error={reroll.error} />}
    </section>
  );
}
