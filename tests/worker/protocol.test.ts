import { describe, expect, it } from 'vitest';
import { CANCELLABLE_COMMANDS, COMMAND_TYPES, SUPERSEDING_COMMANDS, branchSeed, parseCommand } from '../../src/worker/protocol';
import { ERROR_NAMES } from '../../src/worker/errors';

describe('protocol', () => {
  it('accepts every command type with an id and a params object', () => {
    for (const type of COMMAND_TYPES) {
      const r = parseCommand({ id: 3, type, params: {} });
      expect(r.ok).toBe(true);
    }
  });

  it('rejects malformed envelopes with the id when there is one', () => {
    expect(parseCommand(null)).toEqual({ ok: false, id: -1, message: 'message is not an object' });
    expect(parseCommand({ id: 'a', type: 'fly', params: {} })).toMatchObject({ ok: false, id: 'a', message: expect.stringContaining('unknown command type') });
    expect(parseCommand({ id: 1, type: 'generate' })).toMatchObject({ ok: false, id: 1 });
  });

  it('every cancellable command also supersedes, and cancel supersedes without being cancellable', () => {
    for (const c of CANCELLABLE_COMMANDS) expect(SUPERSEDING_COMMANDS).toContain(c);
    expect(SUPERSEDING_COMMANDS).toContain('cancel');
    expect(CANCELLABLE_COMMANDS).not.toContain('cancel');
    expect(SUPERSEDING_COMMANDS).not.toContain('memory');
  });

  it('gives every error code a name', () => {
    for (const name of Object.values(ERROR_NAMES)) expect(name).toMatch(/Error$/);
  });

  it('branchSeed is deterministic, distinct per branch and a uint32', () => {
    const seeds = [0, 1, 2, 3].map((b) => branchSeed(99, b));
    expect(new Set(seeds).size).toBe(4);
    expect(seeds).toEqual([0, 1, 2, 3].map((b) => branchSeed(99, b)));
    for (const s of seeds) expect(s >>> 0).toBe(s);
    expect(branchSeed(100, 0)).not.toBe(seeds[0]);
  });
});
