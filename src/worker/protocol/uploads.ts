/**
 * Protocol, uploads: `decodeImages` turns the user's image files into pixels of the model's
 * size (in the worker, off the UI thread).
 */

/** One file as read by the UI (bytes transferred); decoding happens in the worker. */
export interface UploadFile {
  readonly name: string;
  readonly bytes: ArrayBuffer;
}

export interface DecodeImagesParams {
  readonly files: readonly UploadFile[];
  /** The model's image size and channels: every image is centre-cropped and resized to it. */
  readonly size: number;
  readonly channels: 1 | 3;
}

/** A decoded image: `pixels` is size × size × channels uint8 (transferred), or why not. */
export type DecodedImage =
  | { readonly name: string; readonly ok: true; readonly pixels: ArrayBuffer; readonly width: number; readonly height: number; readonly format: string }
  | { readonly name: string; readonly ok: false; readonly error: string };

export interface DecodeImagesResult {
  readonly images: readonly DecodedImage[];
  readonly ms: number;
}
