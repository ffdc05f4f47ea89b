import { LABEL_MIN_SCALE, labelsVisible } from './render-plan';
import { fitViewport, focusOn, panBy, screenToWorld, visibleWorld, worldToScreen, zoomAt } from './viewport';

const size = { width: 800, height: 400 };

describe('viewport', () => {
  it('puts its centre at the canvas centre, and converts both ways', () => {
    const viewport = { x: 100, y: -50, scale: 2 };
    expect(screenToWorld(viewport, size, 400, 200)).toEqual({ x: 100, y: -50 });
    const world = screenToWorld(viewport, size, 10, 390);
    expect(worldToScreen(viewport, size, world)).toEqual({ x: 10, y: 390 });
    expect(visibleWorld(viewport, size)).toEqual({ minX: -100, minY: -150, maxX: 300, maxY: 50 });
  });

  it('zooms keeping the point under the mouse in place', () => {
    const viewport = { x: 0, y: 0, scale: 1 };
    const before = screenToWorld(viewport, size, 700, 100);
    const zoomed = zoomAt(viewport, size, 700, 100, 2);
    expect(zoomed.scale).toBe(2);
    const after = screenToWorld(zoomed, size, 700, 100);
    expect(after.x).toBeCloseTo(before.x);
    expect(after.y).toBeCloseTo(before.y);
  });

  it('pans with the mouse', () => {
    expect(panBy({ x: 0, y: 0, scale: 2 }, 100, -50)).toEqual({ x: -50, y: 25, scale: 2 });
  });

  it('fits bounds inside the canvas', () => {
    const bounds = { minX: -1000, minY: 0, maxX: 1000, maxY: 500 };
    const viewport = fitViewport(bounds, size);
    const visible = visibleWorld(viewport, size);
    expect(visible.minX).toBeLessThanOrEqual(bounds.minX);
    expect(visible.maxX).toBeGreaterThanOrEqual(bounds.maxX);
    expect(visible.minY).toBeLessThanOrEqual(bounds.minY);
    expect(visible.maxY).toBeGreaterThanOrEqual(bounds.maxY);
  });

  it('focuses a point at a zoom where labels are drawn', () => {
    const focused = focusOn({ x: 5, y: 7 }, { x: 0, y: 0, scale: 0.1 });
    expect(screenToWorld(focused, size, size.width / 2, size.height / 2)).toEqual({ x: 5, y: 7 });
    expect(labelsVisible(focused.scale)).toBe(true);
    expect(focusOn({ x: 0, y: 0 }, { x: 0, y: 0, scale: 4 }).scale).toBe(4);
    expect(focusOn({ x: 0, y: 0 }, undefined).scale).toBeGreaterThanOrEqual(LABEL_MIN_SCALE);
  });
});
