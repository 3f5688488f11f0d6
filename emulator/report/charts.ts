/** The report's two charts, drawn by Vega-Lite and rendered to SVG in Node (no browser, no canvas, no network). */
import type * as vl from 'vega-lite';
import { EnergyPoint, KINDS, Lane, LaneSegment } from './timeline';

const WIDTH = 760;

/** One colour per kind, in KINDS' order: the phone in blues, syncs in oranges, migrations in greens, the clone in red. */
const KIND_COLOURS = ['#4c78a8', '#c6d4e4', '#f58518', '#ffbf79', '#54a24b', '#88d27a', '#e45756'];

/** Render a Vega-Lite spec to an SVG string without the namespace URLs, which inline SVG in HTML does not need. */
async function toSvg(spec: vl.TopLevelSpec): Promise<string> {
  // Loaded here, not at start-up: Vega is a fifth of the command line's start when loaded eagerly.
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.replace(/ xmlns(:xlink)?="[^"]*"/g, '');
  } finally {
    view.finalize();
  }
}

/** The lanes chart: one row per lane, each stretch a bar over modelled seconds; a stretch too short to see also gets a tick. */
export function lanesChartSvg(lanes: Lane[], segments: LaneSegment[], endSeconds: number): Promise<string> {
  const end = segments.reduce((m, s) => Math.max(m, s.to), endSeconds);
  // Narrower than two pixels: drawn as a one-pixel tick as well, so that a short sync or call still shows.
  const rows = segments.map((s) => ({ ...s, short: end > 0 && ((s.to - s.from) / end) * WIDTH < 2 }));
  const kinds = KINDS.filter((k) => segments.some((s) => s.kind === k));
  const colour = {
    field: 'kind',
    type: 'nominal' as const,
    scale: { domain: [...kinds], range: kinds.map((k) => KIND_COLOURS[KINDS.indexOf(k)]) },
    title: null,
  };
  const y = { field: 'lane', type: 'nominal' as const, sort: [...lanes], scale: { domain: [...lanes] }, title: null };
  const x = { field: 'from', type: 'quantitative' as const, title: 'modelled seconds', scale: { domain: [0, end] } };
  return toSvg({
    width: WIDTH,
    height: { step: 44 },
    data: { values: rows },
    layer: [
      { mark: { type: 'bar' }, encoding: { y, x, x2: { field: 'to' }, color: colour } },
      { transform: [{ filter: 'datum.short' }], mark: { type: 'tick', thickness: 1 }, encoding: { y, x, color: colour } },
    ],
    config: { legend: { orient: 'bottom', columns: 4, labelLimit: 200 } },
  });
}

/** Cumulative phone energy over modelled time: CPU, radio and their sum. */
export function energyChartSvg(points: EnergyPoint[]): Promise<string> {
  const rows = points.flatMap((p) => [
    { seconds: p.seconds, joules: p.cpuJoules, series: 'CPU', order: p.order },
    { seconds: p.seconds, joules: p.radioJoules, series: 'radio', order: p.order },
    { seconds: p.seconds, joules: p.totalJoules, series: 'total', order: p.order },
  ]);
  return toSvg({
    width: WIDTH,
    height: 240,
    data: { values: rows },
    mark: { type: 'line', interpolate: 'linear' },
    encoding: {
      x: { field: 'seconds', type: 'quantitative', title: 'modelled seconds' },
      y: { field: 'joules', type: 'quantitative', title: 'cumulative phone energy (J)' },
      color: {
        field: 'series',
        type: 'nominal',
        scale: { domain: ['CPU', 'radio', 'total'], range: ['#4c78a8', '#f58518', '#222222'] },
        title: null,
        legend: { orient: 'bottom' },
      },
      order: { field: 'order', type: 'quantitative' },
    },
  });
}
