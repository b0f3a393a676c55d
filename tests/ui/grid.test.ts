import { describe, expect, it } from 'vitest';
import { composeGrid, extractTile, filmstrip, gridDims, gridGeometry, pairGrid, tileAt, tileRect, upscaleNearest } from '../../src/ui/grid';

/** A frame of `batch` w×h tiles where every pixel of tile i has R = i + 1. */
function frame(batch: number, w: number, h: number): Uint8ClampedArray {
  const f = new Uint8ClampedArray(batch * w * h * 4);
  for (let i = 0; i < batch; i++) for (let p = 0; p < w * h; p++) f.set([i + 1, 0, 0, 255], (i * w * h + p) * 4);
  return f;
}
const r = (px: { data: Uint8ClampedArray; width: number }, x: number, y: number) => px.data[(y * px.width + x) * 4];

describe('gridDims', () => {
  it.each([
    [1, 1, 1],
    [4, 2, 2],
    [16, 4, 4],
    [64, 8, 8],
    [3, 2, 2],
    [5, 3, 2],
  ])('batch %i → %i columns × %i rows', (batch, cols, rows) => {
    expect(gridDims(batch)).toEqual({ cols, rows });
  });
  it('rejects a batch below 1', () => expect(() => gridDims(0)).toThrow());
});

describe('composeGrid', () => {
  it('a batch of 1 is the frame itself, byte for byte', () => {
    const f = frame(1, 3, 2);
    const g = composeGrid(f, 1, 3, 2);
    expect(g.width).toBe(3);
    expect(g.height).toBe(2);
    expect(Array.from(g.data)).toEqual(Array.from(f));
  });

  it('places tile i at column i % cols, row ⌊i / cols⌋ with grey gaps', () => {
    const g = composeGrid(frame(4, 2, 2), 4, 2, 2);
    expect(g.width).toBe(2 * 2 + 2);
    expect(r(g, 0, 0)).toBe(1);
    expect(r(g, 4, 0)).toBe(2);
    expect(r(g, 0, 4)).toBe(3);
    expect(r(g, 5, 5)).toBe(4);
    expect(r(g, 2, 0)).toBe(128);
  });

  it('leaves empty cells grey when the batch does not fill the grid', () => {
    const g = composeGrid(frame(3, 1, 1), 3, 1, 1);
    expect(r(g, 3, 3)).toBe(128);
  });

  it('rejects a frame of the wrong size', () => expect(() => composeGrid(new Uint8ClampedArray(5), 1, 1, 1)).toThrow(/bytes/));
});

describe('tiles and hit testing', () => {
  it('extractTile copies one image out of the batch', () => {
    const t = extractTile(frame(4, 2, 2), 4, 2, 2, 2);
    expect(t.width).toBe(2);
    expect(Array.from(t.data.filter((_, i) => i % 4 === 0))).toEqual([3, 3, 3, 3]);
    expect(() => extractTile(frame(4, 2, 2), 4, 2, 2, 4)).toThrow();
  });

  it('tileAt maps grid pixels to samples, gaps and empty cells to null', () => {
    const g = gridGeometry(3, 4, 4);
    expect(tileAt(g, 3, 0, 0)).toBe(0);
    expect(tileAt(g, 3, 6, 3)).toBe(1);
    expect(tileAt(g, 3, 4, 0)).toBeNull();
    expect(tileAt(g, 3, 1, 7)).toBe(2);
    expect(tileAt(g, 3, 7, 7)).toBeNull();
    expect(tileAt(g, 3, -1, 0)).toBeNull();
  });

  it('tileRect gives overlay boxes in percent that tile the grid', () => {
    const g = gridGeometry(4, 32, 32);
    expect(tileRect(g, 0)).toEqual({ left: 0, top: 0, width: (100 * 32) / 66, height: (100 * 32) / 66 });
    const last = tileRect(g, 3);
    expect(last.left + last.width).toBeCloseTo(100);
    expect(last.top + last.height).toBeCloseTo(100);
  });
});

describe('filmstrip and upscaling', () => {
  it('lays rows of tiles side by side; a missing tile stays grey', () => {
    const a = extractTile(frame(2, 1, 1), 2, 1, 1, 0);
    const b = extractTile(frame(2, 1, 1), 2, 1, 1, 1);
    const s = filmstrip([[a, b, null], [b, a, a]], 1, 1, 1);
    expect([s.width, s.height]).toEqual([5, 3]);
    expect([r(s, 0, 0), r(s, 2, 0), r(s, 4, 0), r(s, 1, 0)]).toEqual([1, 2, 128, 128]);
    expect([r(s, 0, 2), r(s, 2, 2), r(s, 4, 2)]).toEqual([2, 1, 1]);
  });

  it('upscaleNearest repeats each pixel factor × factor times', () => {
    const src = { data: new Uint8ClampedArray([1, 0, 0, 255, 2, 0, 0, 255]), width: 2, height: 1 };
    const up = upscaleNearest(src, 3);
    expect([up.width, up.height]).toEqual([6, 3]);
    expect([r(up, 0, 0), r(up, 2, 2), r(up, 3, 0), r(up, 5, 2)]).toEqual([1, 1, 2, 2]);
    expect(upscaleNearest(src, 1)).toBe(src);
    expect(() => upscaleNearest(src, 0)).toThrow();
  });
});

describe('pairGrid', () => {
  it('puts each sample beside its partner, pairs 3 pixels apart, a missing partner left grey', () => {
    // Two 1×1 samples (values 10 and 20) with partners 30 and none.
    const frame = new Uint8ClampedArray([10, 10, 10, 255, 20, 20, 20, 255]);
    const partner = { data: new Uint8ClampedArray([30, 30, 30, 255]), width: 1, height: 1 };
    const { px, geometry } = pairGrid(frame, 2, 1, 1, [partner, null]);
    // 2 cells side by side: [sample, gap, partner] + 3-pixel gap + [sample, gap, partner].
    expect([px.width, px.height]).toEqual([9, 1]);
    expect(Array.from({ length: 9 }, (_, x) => px.data[x * 4])).toEqual([10, 128, 30, 128, 128, 128, 20, 128, 128]);
    expect(tileRect(geometry, 1)).toEqual({ left: (100 * 6) / 9, top: 0, width: (100 * 3) / 9, height: 100 });
    expect(() => pairGrid(frame, 2, 1, 1, [partner])).toThrow(/2 samples need 2 partners/);
  });
});
