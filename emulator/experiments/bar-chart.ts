/** Bar charts as SVG files, drawn by Vega-Lite (rendered headless, no browser or canvas). */
import * as vega from 'vega';
import * as vl from 'vega-lite';

/** One bar. */
export interface Bar {
  label: string;
  value: number;
  /** Bars of the same series share a colour (e.g. "measured", "paper"). */
  series: string;
}

/** A horizontal bar chart of `bars` on a log scale (the values span orders of magnitude). */
export async function barChartSvg(title: string, axis: string, bars: Bar[]): Promise<string> {
  const spec = vl.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 520,
    height: { step: 28 },
    data: { values: bars },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'label', type: 'nominal', sort: null, title: null },
      x: { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: axis },
      color: { field: 'series', type: 'nominal', title: null },
    },
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  return view.toSVG();
}
