// A Vega-Lite chart drawn to an SVG string without a browser, for the results scripts' figures.
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

export async function svgOf(spec: vegaLite.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
