// The picture: the target's density as a heat map under the particles of one frame.
import { interpolateMagma } from 'd3-scale-chromatic';
import type { TargetView } from './targets.js';

export const GRID = 160;

/** Paints exp(log gamma) on the density canvas, square-rooted so faint mass still shows. */
export function drawDensity(canvas: HTMLCanvasElement, logDensity: Float32Array): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  let max = -Infinity;
  for (const v of logDensity) if (v > max) max = v;
  const palette = Array.from({ length: 256 }, (_, i) => parseColor(interpolateMagma(i / 255)));
  const image = ctx.createImageData(GRID, GRID);
  for (let i = 0; i < GRID * GRID; i++) {
    const level = Number.isFinite(max) ? Math.sqrt(Math.exp((logDensity[i] as number) - max)) : 0;
    const [r, g, b] = palette[Math.min(255, Math.round(level * 255))] as [number, number, number];
    image.data.set([r, g, b, 255], 4 * i);
  }
  const off = document.createElement('canvas');
  off.width = GRID;
  off.height = GRID;
  off.getContext('2d')?.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

/** Draws one frame's particles; returns how many fell inside the box. */
export function drawParticles(
  canvas: HTMLCanvasElement,
  view: TargetView,
  frames: Float32Array,
  frame: number,
  particles: number,
): number {
  const ctx = canvas.getContext('2d');
  if (!ctx) return 0;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const [x0, x1] = view.x;
  const [y0, y1] = view.y;
  const sx = canvas.width / (x1 - x0);
  const sy = canvas.height / (y1 - y0);
  ctx.fillStyle = 'rgba(120, 230, 255, 0.85)';
  const size = particles > 2000 ? 2 : 3;
  let inside = 0;
  const offset = frame * particles * 2;
  for (let i = 0; i < particles; i++) {
    const x = frames[offset + 2 * i] as number;
    const y = frames[offset + 2 * i + 1] as number;
    if (!(x >= x0 && x <= x1 && y >= y0 && y <= y1)) continue;
    inside++;
    ctx.fillRect((x - x0) * sx - size / 2, (y1 - y) * sy - size / 2, size, size);
  }
  return inside;
}

function parseColor(css: string): [number, number, number] {
  // d3 gives '#rrggbb' or 'rgb(r, g, b)'.
  if (css.startsWith('#')) {
    const n = parseInt(css.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const [r, g, b] = css.match(/\d+/g)?.map(Number) ?? [0, 0, 0];
  return [r ?? 0, g ?? 0, b ?? 0];
}
