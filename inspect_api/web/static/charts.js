// Plain SVG charts: an interval bar per ranking row, a trend line, heat-map colours.
import { svg } from "./dom.js";

// The 95 % interval as a bar on a 0..100 scale with the mean as a dot (null figures draw nothing).
export function intervalBar(low, mean, high, width = 160, height = 16) {
  const x = (value) => (Math.max(0, Math.min(100, value)) / 100) * (width - 8) + 4;
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "interval", role: "img" },
    svg("line", { x1: 4, x2: width - 4, y1: height / 2, y2: height / 2, class: "axis" }));
  if (low !== null && high !== null && low !== undefined && high !== undefined) {
    root.append(svg("rect", { x: x(low), y: 4, width: Math.max(1, x(high) - x(low)), height: height - 8,
      class: "band" }));
  }
  if (mean !== null && mean !== undefined) root.append(svg("circle", { cx: x(mean), cy: height / 2, r: 3.5,
    class: "mean" }));
  root.append(svg("title", {}, low === null ? "–" : `${fmt(low)} – ${fmt(high)} (${fmt(mean)})`));
  return root;
}

// Mean per period (line + dots) with the 95 % interval as a shaded band; periods without visits are gaps.
export function trendChart(points, { width = 640, height = 220, label = (p) => p.period.first_day } = {}) {
  const pad = { left: 36, right: 32, top: 12, bottom: 40 };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const step = points.length > 1 ? innerW / (points.length - 1) : 0;
  const x = (i) => pad.left + (points.length > 1 ? i * step : innerW / 2);
  const y = (value) => pad.top + innerH - (value / 100) * innerH;
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "trend", role: "img" });
  for (const tick of [0, 25, 50, 75, 100]) {
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick), class: "grid" }),
      svg("text", { x: pad.left - 6, y: y(tick) + 4, class: "tick", "text-anchor": "end" }, tick));
  }
  let segment = [];
  const segments = [];
  points.forEach((point, i) => {
    if (point.mean === null) {
      if (segment.length) segments.push(segment);
      segment = [];
      return;
    }
    segment.push([i, point]);
    if (point.ci_low !== null) {
      root.append(svg("line", { x1: x(i), x2: x(i), y1: y(point.ci_low), y2: y(point.ci_high), class: "ci" }));
    }
  });
  if (segment.length) segments.push(segment);
  for (const part of segments) {
    const d = part.map(([i, p], n) => `${n ? "L" : "M"}${x(i).toFixed(1)},${y(p.mean).toFixed(1)}`).join(" ");
    root.append(svg("path", { d, class: "line" }));
    for (const [i, p] of part) {
      root.append(svg("circle", { cx: x(i), cy: y(p.mean), r: 3.5, class: "dot" },
        svg("title", {}, `${label(p)}: ${fmt(p.mean)} (${p.visits})`)));
    }
  }
  points.forEach((point, i) => {
    if (points.length <= 12 || i % Math.ceil(points.length / 12) === 0) {
      root.append(svg("text", { x: x(i), y: height - pad.bottom + 16, class: "tick", "text-anchor": "middle" },
        label(point)));
    }
  });
  return root;
}

// Failure rate 0..1 -> a colour from pale yellow to deep red (null: not judged, no colour).
export function heatColour(rate) {
  if (rate === null || rate === undefined) return null;
  const r = Math.max(0, Math.min(1, rate));
  const hue = 50 - 50 * r;
  const light = 92 - 50 * r;
  return `hsl(${hue.toFixed(0)}, 85%, ${light.toFixed(0)}%)`;
}

export function fmt(value, digits = 1) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

export function pct(rate) {
  return rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(0)} %`;
}
