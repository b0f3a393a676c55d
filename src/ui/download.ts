/** PNG export on the main thread: pixels → canvas → Blob → a download link (no tfjs). */
import { upscaleNearest, type Pixels } from './grid';

/** Scale small model images up so a PNG is viewable (nearest neighbour keeps pixels crisp). */
export function exportScale(px: Pixels, target = 512): number {
  return Math.max(1, Math.min(16, Math.floor(target / Math.max(px.width, px.height))));
}

export async function downloadPng(px: Pixels, filename: string, scale = exportScale(px)): Promise<void> {
  const up = upscaleNearest(px, scale);
  const canvas = document.createElement('canvas');
  canvas.width = up.width;
  canvas.height = up.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser has no 2D canvas');
  ctx.putImageData(new ImageData(up.data, up.width, up.height), 0, 0);
  const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
  const url = URL.createObjectURL(blob);
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    // Revoke on the next task: the click has started the download by then.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}

/** Any bytes as a file download (model export). */
export function downloadBytes(bytes: Uint8Array<ArrayBuffer>, filename: string, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}
