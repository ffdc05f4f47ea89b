// The drawn graph: a canvas sized to its container (times devicePixelRatio), redrawn when the plan, the viewport
// or the selection change. Dragging pans and the wheel zooms without going through React: the viewport lives in a
// ref, frames are drawn by requestAnimationFrame, and the parent hears of the new viewport when the gesture ends
// (so the URL is written once per gesture, not per frame).
import { css } from '@emotion/css';
import { useEffect, useMemo, useRef, useState } from 'react';

import { HitGrid } from '../../../data/hit-test';
import type { RenderPlan } from '../../../data/render-plan';
import type { Selection, Viewport } from '../../../data/view-state';
import { type Size, fitViewport, panBy, screenToWorld, zoomAt } from '../../../data/viewport';
import { type GraphColors, drawGraph } from './draw';

export interface GraphCanvasProps {
  plan: RenderPlan;
  /** Undefined: fit the whole graph. */
  viewport: Viewport | undefined;
  selection: Selection | undefined;
  colors: GraphColors;
  animate: boolean;
  /** The size to draw at where the container cannot be measured (no ResizeObserver). */
  fallbackSize: Size;
  onViewportChange: (viewport: Viewport) => void;
  onSelect: (selection: Selection | undefined) => void;
  onToggleNamespace: (namespace: string) => void;
}

/** A press that moves less than this (screen pixels) is a click, not a drag. */
const CLICK_SLOP = 4;
/** Picking tolerance around nodes and edges, in screen pixels. */
const PICK_TOLERANCE = 4;
/** The wheel's viewport is committed this long after the last wheel event. */
const WHEEL_COMMIT_MS = 300;

const canvasClass = css({ display: 'block', cursor: 'grab', touchAction: 'none' });
const containerClass = css({ position: 'absolute', inset: 0, overflow: 'hidden' });

export function GraphCanvas(props: GraphCanvasProps) {
  const { plan, viewport, selection, colors, animate, fallbackSize } = props;
  const containerRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [measuredSize, setMeasuredSize] = useState<Size | undefined>(undefined);
  const size = measuredSize ?? fallbackSize;
  // Built on the first click after a change, not on every data refresh.
  const hitGrid = useMemo(() => lazily(() => new HitGrid(plan)), [plan]);
  const pixelRatio = typeof window === 'undefined' ? 1 : window.devicePixelRatio || 1;

  // What a frame draws; kept in refs so that gesture handlers and animation frames see the latest.
  const viewportRef = useRef<Viewport>({ x: 0, y: 0, scale: 1 });
  const frameRef = useRef<number | undefined>(undefined);
  const drawRef = useRef<() => void>(() => undefined);
  const callbacksRef = useRef(props);

  useEffect(() => {
    callbacksRef.current = props;
  });

  useEffect(() => {
    const container = containerRef.current;
    if (!container || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(([entry]) => {
      if (!entry) return;
      const { width, height } = entry.contentRect;
      setMeasuredSize((previous) =>
        previous && previous.width === width && previous.height === height ? previous : { width, height },
      );
    });
    observer.observe(container);
    return () => observer.disconnect();
  }, []);

  // Redraw on every change of what is drawn; the viewport given wins over a gesture's.
  useEffect(() => {
    const canvas = canvasRef.current;
    viewportRef.current = viewport ?? fitViewport(plan.bounds, size);
    const startedAt = typeof performance === 'undefined' ? 0 : performance.now();
    const draw = () => {
      const context = canvas?.getContext('2d');
      // jsdom (tests) has no 2D context: everything but the pixels still works.
      if (!context) return;
      const dashOffset = animate ? ((performance.now() - startedAt) / 40) % 14 : undefined;
      drawGraph(context, { plan, viewport: viewportRef.current, size, pixelRatio, colors, selection, dashOffset });
    };
    drawRef.current = draw;
    draw();
    if (!animate) return;
    let animation = requestAnimationFrame(function tick() {
      draw();
      animation = requestAnimationFrame(tick);
    });
    return () => cancelAnimationFrame(animation);
  }, [plan, viewport, selection, colors, animate, size, pixelRatio]);

  useEffect(
    () => () => {
      if (frameRef.current !== undefined) cancelAnimationFrame(frameRef.current);
    },
    [],
  );

  // The wheel needs a non-passive listener to keep the page from scrolling; React's onWheel is passive.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    let commitTimer: ReturnType<typeof setTimeout> | undefined;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const factor = Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.0015));
      viewportRef.current = zoomAt(
        viewportRef.current,
        { width: rect.width || size.width, height: rect.height || size.height },
        event.clientX - rect.left,
        event.clientY - rect.top,
        factor,
      );
      scheduleFrame();
      clearTimeout(commitTimer);
      commitTimer = setTimeout(() => callbacksRef.current.onViewportChange(viewportRef.current), WHEEL_COMMIT_MS);
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      canvas.removeEventListener('wheel', onWheel);
      clearTimeout(commitTimer);
    };
  }, [size]);

  function scheduleFrame() {
    if (frameRef.current !== undefined) return;
    frameRef.current = requestAnimationFrame(() => {
      frameRef.current = undefined;
      drawRef.current();
    });
  }

  function pointerPosition(event: { clientX: number; clientY: number }) {
    const rect = canvasRef.current?.getBoundingClientRect();
    return { x: event.clientX - (rect?.left ?? 0), y: event.clientY - (rect?.top ?? 0) };
  }

  function hitAt(event: { clientX: number; clientY: number }) {
    const point = pointerPosition(event);
    const current = viewportRef.current;
    const world = screenToWorld(current, size, point.x, point.y);
    return hitGrid().hit(world.x, world.y, PICK_TOLERANCE / current.scale, current.scale);
  }

  function onMouseDown(event: React.MouseEvent<HTMLCanvasElement>) {
    if (event.button !== 0) return;
    const start = { x: event.clientX, y: event.clientY, viewport: viewportRef.current };
    let dragging = false;
    const onMove = (move: MouseEvent) => {
      const dx = move.clientX - start.x;
      const dy = move.clientY - start.y;
      if (!dragging && Math.hypot(dx, dy) < CLICK_SLOP) return;
      dragging = true;
      viewportRef.current = panBy(start.viewport, dx, dy);
      scheduleFrame();
    };
    const onUp = (up: MouseEvent) => {
      document.removeEventListener('mousemove', onMove);
      document.removeEventListener('mouseup', onUp);
      if (dragging) {
        callbacksRef.current.onViewportChange(viewportRef.current);
        return;
      }
      const hit = hitAt(up);
      if (hit?.kind === 'box') callbacksRef.current.onToggleNamespace(hit.namespace);
      else callbacksRef.current.onSelect(hit ? { kind: hit.kind, id: hit.id } : undefined);
    };
    document.addEventListener('mousemove', onMove);
    document.addEventListener('mouseup', onUp);
  }

  function onDoubleClick(event: React.MouseEvent<HTMLCanvasElement>) {
    const hit = hitAt(event);
    const node = hit?.kind === 'node' ? plan.nodes.find((candidate) => candidate.id === hit.id) : undefined;
    // Double-clicking a collapsed namespace expands it.
    if (node?.kind === 'namespace') props.onToggleNamespace(node.namespace);
  }

  return (
    <div ref={containerRef} className={containerClass}>
      <canvas
        ref={canvasRef}
        data-testid="sg-canvas"
        className={canvasClass}
        width={Math.round(size.width * pixelRatio)}
        height={Math.round(size.height * pixelRatio)}
        style={{ width: size.width, height: size.height }}
        onMouseDown={onMouseDown}
        onDoubleClick={onDoubleClick}
        aria-label="Service graph: click a node or an edge for details, drag to pan, wheel to zoom"
        role="img"
      />
    </div>
  );
}

function lazily<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}
