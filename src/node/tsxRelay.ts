/**
 * Ctrl-C under tsx. `npm run train` runs `tsx src/cli/train.ts`: the tsx CLI starts the
 * script in a child node process (with its preflight module) and, on SIGINT or SIGTERM, waits
 * 30 ms for that child to report over tsx's IPC pipe that it got the signal too. The report
 * comes from a signal handler, which runs only when the child's main thread is idle; if none
 * comes, tsx sends the signal itself, waits another 30 ms and kills the child with SIGKILL
 * (tsx 4, dist/cli.mjs `relaySignals`). A training step keeps the main thread busy far longer
 * than 60 ms, so Ctrl-C killed a run within ~80 ms and nothing was saved.
 *
 * So under the tsx CLI the work runs one process further down. `leaveTsxRelay()` starts the
 * same script again with tsx's loader but without its preflight (`node --import <tsx loader>
 * script …`, a process tsx does not watch) and then only waits, idle: it answers tsx at once
 * and passes each signal on to the worker, once. The worker runs in a process group of its
 * own, so that one Ctrl-C reaches it once, from here, and not also from the terminal (with
 * copies from tsx arriving while a step keeps it busy, a repeat would look like a second
 * Ctrl-C, "stop now, unsaved"). Ctrl-Z and `fg` are passed on as SIGSTOP and SIGCONT. If this
 * process dies, the worker sees its IPC channel close and stops as on SIGTERM (saving). The
 * exit status is the worker's.
 *
 * Without the tsx CLI (`node --import tsx …`, a bundle) there is nothing to leave and the
 * call returns at once; so it does in the worker, which the environment marks.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const WORKER_ENV = 'DDGAN_TSX_RELAY_WORKER';
const PREFLIGHT = /[\\/]tsx[\\/]dist[\\/]preflight\.c?js$/;
/** Copies of one signal within this many ms are one request (tsx re-sends when our report is late). */
const SAME_SIGNAL_MS = 1000;

/** execArgv without tsx's preflight module, or null when it is not there (not under the tsx CLI). */
export function withoutTsxPreflight(execArgv: readonly string[]): string[] | null {
  const out: string[] = [];
  let found = false;
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if ((a === '--require' || a === '-r') && PREFLIGHT.test(execArgv[i + 1] ?? '')) {
      found = true;
      i++;
    } else if (a.startsWith('--require=') && PREFLIGHT.test(a.slice('--require='.length))) {
      found = true;
    } else out.push(a);
  }
  return found ? out : null;
}

/** True in the worker that `leaveTsxRelay` started. */
export function isRelayWorker(): boolean {
  return Boolean(process.env[WORKER_ENV]);
}

/**
 * Under the tsx CLI: runs this script again in a worker process that tsx does not watch,
 * relays signals to it and exits with its status (never returns). Elsewhere: returns.
 */
export async function leaveTsxRelay(): Promise<void> {
  if (isRelayWorker()) {
    // The relay's death (closing the channel) is a request to stop, as SIGTERM is.
    if (process.channel) {
      process.channel.unref();
      process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    }
    return;
  }
  const execArgv = withoutTsxPreflight(process.execArgv);
  if (execArgv === null || !process.argv[1]) return;
  const child = spawn(process.execPath, [...execArgv, process.argv[1], ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [WORKER_ENV]: '1' },
    // a group of its own (on Windows, `detached` would open a console window instead)
    detached: process.platform !== 'win32',
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const lastSent = new Map<NodeJS.Signals, number>();
  const relay = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (now - (lastSent.get(signal) ?? -Infinity) < SAME_SIGNAL_MS) return;
    lastSent.set(signal, now);
    if (running()) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(signal, relay);
  process.on('SIGTSTP', () => {
    if (running()) child.kill('SIGSTOP');
    process.kill(process.pid, 'SIGSTOP');
  });
  process.on('SIGCONT', () => {
    if (running()) child.kill('SIGCONT');
  });
  const status = await new Promise<number>((resolve) => {
    child.on('error', (e) => {
      console.error(`could not start the worker process: ${e.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
  process.exit(status);
}
