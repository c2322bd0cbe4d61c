// Live line charts (uPlot): ESS per step, the running log Z against the exact value, and the
// training ELBO per iteration.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface LineChart {
  set(x: number[], ...ys: (number | null)[][]): void;
}

export function lineChart(
  host: HTMLElement,
  title: string,
  xLabel: string,
  series: { label: string; stroke: string; dash?: number[] }[],
): LineChart {
  const width = Math.max(260, Math.min(420, host.clientWidth || 360));
  const plot = new uPlot(
    {
      title,
      width,
      height: 190,
      scales: { x: { time: false } },
      axes: [{ label: xLabel }, {}],
      series: [
        { label: xLabel },
        ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, dash: s.dash })),
      ],
      legend: { show: true },
    },
    [[], ...series.map(() => [])],
    host,
  );
  return {
    set(x, ...ys) {
      plot.setData([x, ...ys] as uPlot.AlignedData);
    },
  };
}
