/**
 * The app shell: generate and scrub on the left, model, engine and explanation on the
 * right (one column on a phone), the mode-coverage lab and the Compare view (DD-GAN vs
 * DDIM vs DDPM) across the full width below them, diagnostics at the bottom, the sample
 * dialog and the backend warning on top.
 *
 * Components only read the store and call its actions; no logic about backends or tensors
 * lives here. Values that tests read carry `data-testid`, and machine-readable copies of
 * numbers sit in `data-*` attributes so a test never parses formatted text.
 */
import { useEffect } from 'react';
import type { AppStore } from '../store/store';
import { BackendDialog } from './BackendDialog';
import { BranchesPanel } from './BranchesPanel';
import { ComparePanel } from './ComparePanel';
import { DiagnosticsPanel } from './DiagnosticsPanel';
import { EnginePanel } from './EnginePanel';
import { ExplainerPanel } from './ExplainerPanel';
import { GeneratePanel } from './GeneratePanel';
import { ModelPanel } from './ModelPanel';
import { SampleDialog } from './SampleDialog';
import { TrainPanel } from './TrainPanel';
import { ToyLabPanel } from './ToyLabPanel';
import { StoreContext } from './storeContext';

/** Arrow keys scrub (Home/End jump) anywhere except where a control needs them. */
function useScrubKeys(store: AppStore): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      const el = e.target as HTMLElement | null;
      if (el && (el.closest('input, select, textarea, [contenteditable="true"]') || el.closest('dialog[open]'))) return;
      const { actions, gen } = store.getState();
      if (!gen.trajectory) return;
      const moves: Record<string, () => void> = {
        ArrowLeft: () => actions.stepPosition(-1),
        ArrowRight: () => actions.stepPosition(1),
        Home: () => actions.setPosition(0),
        End: () => actions.setPosition(gen.trajectory!.T),
      };
      const move = moves[e.key];
      if (move) {
        e.preventDefault();
        move();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);
}

export function App({ store }: { store: AppStore }) {
  useScrubKeys(store);
  return (
    <StoreContext.Provider value={store}>
      <div className="app">
        <header className="app-header">
          <h1 data-testid="title">ddgan-web</h1>
          <p className="tagline">
            Denoising Diffusion GANs in your tab: four large denoising steps, each one a conditional GAN, run by TensorFlow.js in a Web
            Worker. Watch every step, scrub through them, re-roll the later ones.
          </p>
        </header>
        <div className="layout">
          <main className="main-column">
            <GeneratePanel />
            <BranchesPanel />
            <TrainPanel />
          </main>
          <aside className="side-column" aria-label="Model and engine">
            <ModelPanel />
            <EnginePanel />
            <ExplainerPanel />
          </aside>
        </div>
        <ToyLabPanel />
        <ComparePanel />
        <DiagnosticsPanel />
        <footer className="app-footer">Everything runs locally; no data leaves this page.</footer>
      </div>
      <SampleDialog />
      <BackendDialog />
    </StoreContext.Provider>
  );
}
