#!/usr/bin/env node
/**
 * Makes sure a Chromium for the browser tests exists, before they run (DESIGN §7).
 *
 *  - CHROMIUM_PATH (if set) or /usr/bin/chromium exists → print its version, exit 0;
 *  - otherwise, as root → apt-get install Debian's `chromium`, then verify it runs;
 *  - otherwise → exit 1 saying exactly what to install.
 *
 * It never "passes" by skipping: a machine that cannot run the browser tests fails here
 * with a fix, instead of reporting a green run that tested nothing.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const DEFAULT_PATH = '/usr/bin/chromium';
const fromEnv = process.env.CHROMIUM_PATH?.trim();
const target = fromEnv || DEFAULT_PATH;

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs `<path> --version`; returns the version line, or null if it does not run. */
function versionOf(path) {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) return null;
  // Debian's wrapper script may print shell noise on stderr; the version is on stdout.
  const line = r.stdout.split('\n').find((l) => /chrom/i.test(l));
  return line ? line.trim() : null;
}

function ok(path) {
  const v = versionOf(path);
  if (v === null) return false;
  console.log(`ensure-chromium: ${path}: ${v}`);
  return true;
}

function fail(message) {
  console.error(`ensure-chromium: ${message}`);
  process.exit(1);
}

function run(cmd, args, extraEnv = {}) {
  console.log(`ensure-chromium: $ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...extraEnv } });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited with status ${r.status}`);
}

if (isExecutable(target)) {
  if (ok(target)) process.exit(0);
  fail(`${target} exists but "${target} --version" failed; reinstall it (sudo apt-get install --reinstall chromium) or point CHROMIUM_PATH at a working Chromium`);
}

if (fromEnv) {
  // The user named a browser explicitly: installing a different one would not honour that.
  fail(`CHROMIUM_PATH=${fromEnv} is not an executable file; fix the path or unset CHROMIUM_PATH to use ${DEFAULT_PATH}`);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  fail(
    `no Chromium at ${DEFAULT_PATH}. The browser tests need it: install it with\n` +
      `    sudo apt-get install chromium\n` +
      `or set CHROMIUM_PATH to an existing Chromium/Chrome executable.`,
  );
}

console.log(`ensure-chromium: no Chromium at ${DEFAULT_PATH}; installing Debian's chromium package (running as root)`);
run('apt-get', ['update']);
run('apt-get', ['install', '-y', 'chromium'], { DEBIAN_FRONTEND: 'noninteractive' });
if (!isExecutable(DEFAULT_PATH) || !ok(DEFAULT_PATH)) {
  fail(`apt-get installed chromium but ${DEFAULT_PATH} does not run; check the apt output above`);
}
