// The viewport of the service graph: which world point is at the canvas centre and how many screen pixels a world
// unit takes. Centre-based, so that a view stored in a URL shows the same part of the graph whatever the panel size.
import type { Point } from './layout';
import { type Bounds, LABEL_MIN_SCALE } from './render-plan';
import type { Viewport } from './view-state';

export interface Size {
  width: number;
  height: number;
}

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 8;
/** The zoom search and selection move to when closer in: labels are drawn from LABEL_MIN_SCALE on. */
export const FOCUS_SCALE = Math.max(1.2, LABEL_MIN_SCALE);

function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

export function screenToWorld(viewport: Viewport, size: Size, screenX: number, screenY: number): Point {
  return {
    x: viewport.x + (screenX - size.width / 2) / viewport.scale,
    y: viewport.y + (screenY - size.height / 2) / viewport.scale,
  };
}

export function worldToScreen(viewport: Viewport, size: Size, point: Point): Point {
  return {
    x: (point.x - viewport.x) * viewport.scale + size.width / 2,
    y: (point.y - viewport.y) * viewport.scale + size.height / 2,
  };
}

/** The part of the world the canvas shows, for culling. */
export function visibleWorld(viewport: Viewport, size: Size): Bounds {
  const halfWidth = size.width / 2 / viewport.scale;
  const halfHeight = size.height / 2 / viewport.scale;
  return {
    minX: viewport.x - halfWidth,
    minY: viewport.y - halfHeight,
    maxX: viewport.x + halfWidth,
    maxY: viewport.y + halfHeight,
  };
}

/** The viewport showing all of `bounds` with a margin (screen pixels), never zoomed in beyond 1.5. */
export function fitViewport(bounds: Bounds, size: Size, margin = 24): Viewport {
  const width = Math.max(1, bounds.maxX - bounds.minX);
  const height = Math.max(1, bounds.maxY - bounds.minY);
  const scale = clampScale(
    Math.min(1.5, Math.max(1, size.width - 2 * margin) / width, Math.max(1, size.height - 2 * margin) / height),
  );
  return { x: (bounds.minX + bounds.maxX) / 2, y: (bounds.minY + bounds.maxY) / 2, scale };
}

/** Zooms by `factor` keeping the world point under the screen point where it is (the mouse wheel's zoom). */
export function zoomAt(viewport: Viewport, size: Size, screenX: number, screenY: number, factor: number): Viewport {
  const anchor = screenToWorld(viewport, size, screenX, screenY);
  const scale = clampScale(viewport.scale * factor);
  return {
    x: anchor.x - (screenX - size.width / 2) / scale,
    y: anchor.y - (screenY - size.height / 2) / scale,
    scale,
  };
}

/** Moves the world with the mouse: a drag by (dx, dy) screen pixels. */
export function panBy(viewport: Viewport, dx: number, dy: number): Viewport {
  return { x: viewport.x - dx / viewport.scale, y: viewport.y - dy / viewport.scale, scale: viewport.scale };
}

/** Centres `point`, zoomed in at least far enough for labels. */
export function focusOn(point: Point, viewport: Viewport | undefined): Viewport {
  return { x: point.x, y: point.y, scale: Math.max(FOCUS_SCALE, viewport?.scale ?? 0) };
}
