/**
 * "What am I looking at": the forward process, the schedule of the loaded model as numbers
 * (computed by core/diffusion/schedule.ts, the same code the sampler uses: nothing typed
 * in), and why a handful of steps suffice.
 */
import { useMemo } from 'react';
import { ddganSchedule, scheduleSummary } from '../core/diffusion/schedule';
import { xSub } from './common';
import { useApp } from './storeContext';

export function ExplainerPanel() {
  const T = useApp((s) => s.models.result?.model.T ?? s.models.catalog.find((m) => m.name === s.models.selected)?.T ?? 4);
  const rows = useMemo(() => {
    const s = ddganSchedule(T);
    return scheduleSummary(s).map((r) => ({ ...r, t: s.times[r.k], noise: s.sqrtOneMinusAlphaBars[r.k] }));
  }, [T]);

  return (
    <section className="card explainer" aria-labelledby="explainer-heading">
      <details open>
        <summary>
          <h2 id="explainer-heading">What am I looking at?</h2>
        </summary>
        <p>
          <strong>Forward process.</strong> Training images x<sub>0</sub> are destroyed in T = {T} steps of Gaussian noise:
          q(x<sub>k</sub> | x<sub>k−1</sub>) = N(√(1−β<sub>k</sub>) x<sub>k−1</sub>, β<sub>k</sub> I), so x<sub>k</sub> = √ᾱ<sub>k</sub> x
          <sub>0</sub> + √(1−ᾱ<sub>k</sub>) ε. The slider runs this backwards, from pure noise {xSub(T)} to a sample {xSub(0)}.
        </p>
        <div className="table-wrap">
          <table className="schedule" data-testid="schedule-table" data-t={T}>
            <caption>VP schedule for T = {T} (β from 0.1 to 20, as in the paper's code)</caption>
            <thead>
              <tr>
                <th scope="col">k</th>
                <th scope="col">β<sub>k</sub></th>
                <th scope="col" title="signal kept">√ᾱ<sub>k</sub></th>
                <th scope="col" title="noise level">√(1−ᾱ<sub>k</sub>)</th>
                <th scope="col" title="posterior standard deviation">σ<sub>k</sub></th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.k} data-k={r.k} data-beta={r.beta}>
                  <td>{r.k}</td>
                  <td>{r.beta.toFixed(4)}</td>
                  <td>
                    <span className="bar" style={{ width: `${Math.max(2, 100 * r.sqrtAlphaBar)}%` }} />
                    <span className="value">{r.sqrtAlphaBar.toFixed(4)}</span>
                  </td>
                  <td>{r.noise.toFixed(4)}</td>
                  <td>{r.std.toFixed(4)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p>
          <strong>Each step.</strong> The generator sees x<sub>k</sub>, k and a random code z and predicts a clean image x̂<sub>0</sub>{' '}
          (toggle “predicted x̂<sub>0</sub>”); x<sub>k−1</sub> is then drawn from the posterior q(x<sub>k−1</sub> | x<sub>k</sub>, x̂
          <sub>0</sub>). At k = 1 no noise is added: x<sub>0</sub> is the last prediction.
        </p>
        <p>
          <strong>Why {T} steps suffice.</strong> A DDPM models each reverse step as a Gaussian, which is only accurate when steps are
          tiny, hence ~1000 of them. With steps this large (β<sub>{T}</sub> ≈ {rows[rows.length - 1]?.beta.toFixed(2)}) the true
          denoising distribution is multimodal: one noisy image could become several different digits. DD-GAN models each step with a
          conditional GAN, which can represent such distributions, so {T} network calls replace 1000. “Re-roll” shows it: the same x
          <sub>k</sub> with new z lands on different images.
        </p>
      </details>
    </section>
  );
}
