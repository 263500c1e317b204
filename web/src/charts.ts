// ECharts through echarts/core: only the bar chart, its components and the canvas renderer
// end up in the bundle.
import * as echarts from "echarts/core";
import { BarChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export { echarts };

/** Whether the reader asked for less motion (the operating system's setting). */
export function reducedMotion(): boolean {
  return typeof window !== "undefined" && window.matchMedia?.("(prefers-reduced-motion: reduce)").matches === true;
}

/** A chart in ``el``: without animations for a reader who asked for less motion. */
export function initChart(el: HTMLElement): echarts.ECharts {
  const chart = echarts.init(el);
  if (reducedMotion()) {
    const setOption = chart.setOption.bind(chart) as (...args: unknown[]) => void;
    // every later option keeps animation off, whether merged or replacing
    chart.setOption = ((option: Record<string, unknown>, ...rest: unknown[]) =>
      setOption({ ...option, animation: false }, ...rest)) as typeof chart.setOption;
  }
  return chart;
}

/** The category axis of a chart by jurisdiction: every name shown (ECharts would skip every
 * other county when they crowd), slanted when there are many. */
export function jurisdictionAxis(names: string[]) {
  return {
    type: "category" as const,
    data: names,
    axisLabel: { fontSize: 13, color: "#1f2329", interval: 0, rotate: names.length > 8 ? 30 : 0 },
  };
}
