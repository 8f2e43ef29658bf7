/**
 * The pixels the simulator "generates": two colours blended by a wave pattern, all chosen by a hash of what
 * determines the image (prompt text, seed, sampler settings or an input image's bytes). Same inputs → same
 * bytes, different prompt or seed → a visibly different image; the pattern is drawn in relative coordinates,
 * so a resize keeps its look.
 */
import { createHash } from "node:crypto";

/** A short stable hash of `parts`, used as an image's identity through the graph. */
export function fingerprint(...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);
}

/** RGB bytes (width × height × 3) of image `index` of a batch with identity `id`. */
export function renderPattern(id: string, index: number, width: number, height: number): Uint8Array {
  const h = createHash("sha256").update(`${id}#${index}`).digest();
  const a = [h[0], h[1], h[2]];
  const b = [h[3], h[4], h[5]];
  const fx = 1 + (h[6] % 5);
  const fy = 1 + (h[7] % 5);
  const px = (h[8] / 255) * 2 * Math.PI;
  const py = (h[9] / 255) * 2 * Math.PI;
  const cols = Float32Array.from({ length: width }, (_, x) => Math.sin((2 * Math.PI * fx * x) / width + px));
  const rows = Float32Array.from({ length: height }, (_, y) => Math.cos((2 * Math.PI * fy * y) / height + py));
  const rgb = new Uint8Array(width * height * 3);
  let at = 0;
  for (let y = 0; y < height; y++) {
    const row = rows[y];
    for (let x = 0; x < width; x++) {
      const t = (cols[x] + row + 2) / 4;
      rgb[at++] = a[0] + (b[0] - a[0]) * t;
      rgb[at++] = a[1] + (b[1] - a[1]) * t;
      rgb[at++] = a[2] + (b[2] - a[2]) * t;
    }
  }
  return rgb;
}
