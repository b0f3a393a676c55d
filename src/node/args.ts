/**
 * Small, strict command-line parsing shared by the CLIs.
 *
 *  - `parseCli` reads the flags (strictly: an unknown flag is an error), answers `--help`,
 *    accepts a negative number as a flag's value (`--n -5` reaches validation instead of
 *    parseArgs' "ambiguous" text) and installs the one-line handler for uncaught errors.
 *  - `checkFlags` / `flags` validate the values declaratively, before any backend starts:
 *    `flags(args, { batch: [int(1, 512), 32], lr: positive(), T: oneOf(['1', '2']) })`.
 *  - Every failure is one line on stderr: usage errors exit 2, other errors 1 (DEBUG=1 adds
 *    the stack).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** A usage error: a bad flag value; the CLI prints its message and exits 2. */
export class UsageError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Prints one line and exits 2 (the exit status of every usage error). */
export function usageExit(message: string): never {
  console.error(oneLine(message));
  process.exit(2);
}

/** A message on one line: whitespace runs (newlines included) become one space, at most 400 characters. */
export function oneLine(message: string): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  return flat.length > 400 ? `${flat.slice(0, 397)}…` : flat;
}

/** The one line an uncaught error prints: its message (its name too, for a non-Error value). */
export function errorLine(error: unknown): string {
  if (error instanceof Error) return oneLine(error.message || error.name);
  return oneLine(`uncaught ${typeof error}: ${String(error)}`);
}

let handlerInstalled = false;

/**
 * Uncaught errors and unhandled rejections print one line (the message) and exit 1 (2 for a
 * UsageError); with DEBUG=1 the stack follows. Installed before any backend starts, so it
 * runs before the handlers the wasm backend's Emscripten glue adds, which rethrow and make
 * Node print the whole minified line of that glue (~38 KB) and exit 7.
 */
export function installCliErrorHandler(): void {
  if (handlerInstalled) return;
  handlerInstalled = true;
  const onError = (error: unknown) => {
    try {
      console.error(errorLine(error));
      if (process.env.DEBUG && process.env.DEBUG !== '0' && error instanceof Error && error.stack) console.error(error.stack);
    } finally {
      process.exit(error instanceof UsageError ? 2 : 1);
    }
  };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
}

/** A flag followed by a negative number (`--n -5`) is that flag's value, as `--n=-5` would be. */
function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'];

/** Parses `argv` strictly; a flag it does not know, or one without its value, is a UsageError. */
export function parseArgv<O extends Options>(options: O, argv: readonly string[]): Values<O> {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals: false }).values as never;
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split(/(?<=\.)\s/)[0]} (--help lists the options)`);
  }
}

/** The CLI's flags: installs the one-line error handler, answers --help, ends with one line (exit 2) on a parse error. */
export function parseCli<O extends Options>(usage: string, options: O, argv: readonly string[] = process.argv.slice(2)): Values<O> {
  installCliErrorHandler();
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgv(options, argv);
  } catch (e) {
    usageExit((e as Error).message);
  }
}

/** Kept for the bench CLIs: a finite number, or `fallback` when the flag is absent. */
export function num(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) usageExit(`--${name} ${value}: use a number`);
  return n;
}

// ---- declarative validation ---------------------------------------------------------------

/** One kind of flag value: how to read it and what a valid one is ("use …"). */
export interface Rule<T> {
  /** The end of "--flag VALUE: use …", e.g. "a whole number from 1 to 512". */
  readonly expects: string;
  /** The value, or undefined when the text is not a valid one. */
  readonly parse: (text: string) => T | undefined;
}

const number = (text: string): number | undefined => {
  const n = Number(text);
  return text.trim() === '' || !Number.isFinite(n) ? undefined : n;
};

/** A whole number in [min, max]. */
export function int(min: number, max: number = Number.MAX_SAFE_INTEGER): Rule<number> {
  const expects = max === Number.MAX_SAFE_INTEGER ? `a whole number ≥ ${min}` : `a whole number from ${min} to ${max}`;
  return {
    expects,
    parse: (text) => {
      const n = number(text);
      return n !== undefined && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
    },
  };
}

/** A finite number with optional bounds: `min`/`max` inclusive, `above`/`below` exclusive. */
export function real(bounds: { min?: number; max?: number; above?: number; below?: number } = {}): Rule<number> {
  const { min, max, above, below } = bounds;
  const parts: string[] = [];
  if (above !== undefined) parts.push(above === 0 && max === undefined && below === undefined ? 'above 0' : `> ${above}`);
  if (min !== undefined) parts.push(`≥ ${min}`);
  if (below !== undefined) parts.push(`< ${below}`);
  if (max !== undefined) parts.push(`≤ ${max}`);
  const expects = above === 0 && parts.length === 1 ? 'a number above 0' : `a number${parts.length ? ` ${parts.join(' and ')}` : ''}`;
  return {
    expects,
    parse: (text) => {
      const n = number(text);
      if (n === undefined) return undefined;
      if ((min !== undefined && n < min) || (max !== undefined && n > max) || (above !== undefined && n <= above) || (below !== undefined && n >= below)) return undefined;
      return n;
    },
  };
}

/** A number above 0 (learning rates, minutes). */
export const positive = (): Rule<number> => real({ above: 0 });

/** One of the listed words. */
export function oneOf<const V extends string>(values: readonly V[]): Rule<V> {
  return { expects: `one of ${values.join(', ')}`, parse: (text) => (values as readonly string[]).includes(text) ? (text as V) : undefined };
}

/** One of the listed whole numbers (`--T 1|2|4|8`). */
export function intIn(values: readonly number[]): Rule<number> {
  return {
    expects: `one of ${values.join(', ')}`,
    parse: (text) => {
      const n = number(text);
      return n !== undefined && values.includes(n) ? n : undefined;
    },
  };
}

/** A comma-separated list of values of one rule, with at least `minLength` entries. */
export function listOf<T>(rule: Rule<T>, minLength = 1): Rule<T[]> {
  return {
    expects: `comma-separated values, each ${rule.expects}`,
    parse: (text) => {
      const items = text.split(',').map((s) => rule.parse(s.trim()));
      return items.length >= minLength && items.every((v) => v !== undefined) ? (items as T[]) : undefined;
    },
  };
}

/** A non-empty string (paths, names). */
export const text = (): Rule<string> => ({ expects: 'a non-empty value', parse: (t) => (t.trim() === '' ? undefined : t) });

/** The parseArgs options of a table of rules: every one is a string flag. */
export function stringOptions<S extends Record<string, FlagSpec>>(spec: S): { [K in keyof S]: { type: 'string' } } {
  return Object.fromEntries(Object.keys(spec).map((k) => [k, { type: 'string' }])) as { [K in keyof S]: { type: 'string' } };
}

/** A flag's rule, or [rule, default]. */
export type FlagSpec = Rule<unknown> | readonly [Rule<unknown>, unknown];
export type FlagValues<S extends Record<string, FlagSpec>> = {
  -readonly [K in keyof S]: S[K] extends readonly [Rule<infer T>, unknown] ? T : S[K] extends Rule<infer T> ? T | undefined : never;
};

/**
 * Reads every flag of `spec` from the parsed `args` (strings; a flag that is absent takes its
 * default, or undefined). Throws a UsageError "--batch 0: use a whole number from 1 to 512"
 * for the first bad value.
 */
export function checkFlags<S extends Record<string, FlagSpec>>(args: Record<string, unknown>, spec: S): FlagValues<S> {
  const out: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(spec)) {
    const [rule, fallback] = Array.isArray(entry) ? (entry as readonly [Rule<unknown>, unknown]) : [entry as Rule<unknown>, undefined];
    const raw = args[name];
    if (raw === undefined) {
      out[name] = fallback;
      continue;
    }
    const value = typeof raw === 'string' ? rule.parse(raw) : undefined;
    if (value === undefined) throw new UsageError(`--${name} ${String(raw)}: use ${rule.expects}`);
    out[name] = value;
  }
  return out as FlagValues<S>;
}

/** `checkFlags`, ending the process with the one-line message (exit 2) on a bad value. */
export function flags<S extends Record<string, FlagSpec>>(args: Record<string, unknown>, spec: S): FlagValues<S> {
  try {
    return checkFlags(args, spec);
  } catch (e) {
    if (e instanceof UsageError) usageExit(e.message);
    throw e;
  }
}

/** Flags that must be given: "--out is required" (exit 2) for the first one missing. */
export function requireFlags(args: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) if (args[name] === undefined || args[name] === '') usageExit(`--${name} is required (--help lists the options)`);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s).padStart(2, '0')}s`;
}
