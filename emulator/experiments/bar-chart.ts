/** Bar charts as SVG files, drawn by Vega-Lite (rendered headless, no browser or canvas). */

/** One bar. */
export interface Bar {
  label: string;
  value: number;
  /** Bars of the same series share a colour (e.g. "measured", "paper"). */
  series: string;
}

/** A horizontal bar chart of `bars`, each labelled with its value. */
export async function barChartSvg(title: string, axis: string, bars: Bar[]): Promise<string> {
  // Loaded on first use: Vega takes longer to load than the rest of the command line together.
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const spec = vl.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 520,
    height: { step: 28 },
    data: { values: bars },
    encoding: {
      y: { field: 'label', type: 'nominal', sort: null, title: null },
      x: { field: 'value', type: 'quantitative', title: axis },
    },
    layer: [
      {
        mark: { type: 'bar', tooltip: true },
        encoding: { color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 480 } } },
      },
      { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { text: { field: 'value', type: 'quantitative', format: '.1f' } } },
    ],
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  return view.toSVG();
}
