/**
 * The trends page's charts, drawn with visx (scales, axes and shapes; React renders the SVG):
 * run durations (each run a bar of its steps stacked, the run's own duration a line over
 * them) and peak memory per step. Colours come from JupyterLab's theme through CSS classes
 * (style/trends.css). Each chart is a figure with a title and a text summary that its SVG
 * names as its description; a table carries the same numbers for screen readers.
 */
import { AxisBottom, AxisLeft } from '@visx/axis';
import { Group } from '@visx/group';
import { useParentSize } from '@visx/responsive';
import { scaleBand, scaleLinear } from '@visx/scale';
import { Bar, LinePath } from '@visx/shape';
import * as React from 'react';

import { formatBytes, formatDuration } from '../common/format';
import { trans } from '../common/i18n';
import { IRunTrend, IStepRow, runText } from './trendsData';

/** The step colours (`jp-OrchTrends-series<n>` in trends.css), used in turn. */
const SERIES = 6;
const RUNS_HEIGHT = 260;
const RUNS_MARGIN = { top: 12, right: 16, bottom: 30, left: 60 };
const MEMORY_BAR = 26;
const MEMORY_MARGIN = { top: 8, right: 24, bottom: 30, left: 16 };
/** Pixels a run's label needs below its bar; fewer, and only every n-th run is labelled. */
const LABEL_WIDTH = 44;

/** The CSS class of the step at `index` of the page's steps (its colour). */
export function seriesClass(index: number): string {
  return `jp-OrchTrends-series${index % SERIES}`;
}

/** A chart with its title, its summary in words and, below, its numbers as a table. */
export function ChartFigure(props: {
  title: string;
  summary: string;
  children: (ids: IChartIds) => React.ReactNode;
  table?: React.ReactNode;
  className?: string;
}): JSX.Element {
  const id = React.useId().replace(/:/g, '');
  const ids = { titleId: `${id}-title`, summaryId: `${id}-summary` };
  return (
    <figure
      className={`jp-OrchTrends-figure ${props.className ?? ''}`.trim()}
      aria-labelledby={ids.titleId}
    >
      <h3 id={ids.titleId} className="jp-OrchRunDetail-sectionTitle">
        {props.title}
      </h3>
      {props.children(ids)}
      <figcaption id={ids.summaryId} className="jp-OrchTrends-summaryText">
        {props.summary}
      </figcaption>
      {props.table}
    </figure>
  );
}

/** Where a chart's SVG finds its name and its description. */
export interface IChartIds {
  titleId: string;
  summaryId: string;
}

/**
 * A chart's SVG, as wide as its box (measured; a default before the first layout), named by
 * its figure's title and described by its summary; `children` draws inside the margins.
 */
function ChartSvg(props: {
  ids: IChartIds;
  height: number;
  left: number;
  top: number;
  children: (width: number) => React.ReactNode;
}): JSX.Element {
  const { parentRef, width: measured } = useParentSize({ debounceTime: 50 });
  const width = measured > 0 ? measured : 640;
  return (
    <div ref={parentRef} className="jp-OrchTrends-chartBox">
      <svg
        className="jp-OrchTrends-chart"
        role="img"
        aria-labelledby={props.ids.titleId}
        aria-describedby={props.ids.summaryId}
        width={width}
        height={props.height}
      >
        <Group left={props.left} top={props.top}>
          {props.children(width)}
        </Group>
      </svg>
    </div>
  );
}

/** Each run a bar of its steps' times stacked; the run's own duration a line over them. */
export function DurationChart(props: {
  ids: IChartIds;
  runs: readonly IRunTrend[];
  steps: readonly string[];
  slowest: string | null;
  openRun?: (id: string) => void;
}): JSX.Element {
  const { runs } = props;
  const innerHeight = RUNS_HEIGHT - RUNS_MARGIN.top - RUNS_MARGIN.bottom;
  const highest = Math.max(
    ...runs.map(r => Math.max(r.seconds ?? 0, r.stepSeconds)),
    0.1
  );
  const y = scaleLinear<number>({
    domain: [0, highest],
    range: [innerHeight, 0],
    nice: true
  });
  const labels = new Map(runs.map(r => [r.id, r.label]));
  return (
    <ChartSvg
      ids={props.ids}
      height={RUNS_HEIGHT}
      left={RUNS_MARGIN.left}
      top={RUNS_MARGIN.top}
    >
      {width => {
        const innerWidth = Math.max(
          width - RUNS_MARGIN.left - RUNS_MARGIN.right,
          80
        );
        const x = scaleBand<string>({
          domain: runs.map(r => r.id),
          range: [0, innerWidth],
          padding: 0.3
        });
        const every = Math.ceil(
          runs.length / Math.max(innerWidth / LABEL_WIDTH, 1)
        );
        return (
          <>
            <RunBars {...props} x={x} y={y} />
            <AxisLeft
              scale={y}
              numTicks={5}
              axisClassName="jp-OrchTrends-axis"
              tickFormat={value => formatDuration(Number(value))}
            />
            <AxisBottom
              top={innerHeight}
              scale={x}
              axisClassName="jp-OrchTrends-axis"
              tickValues={runs.map(r => r.id).filter((_, i) => i % every === 0)}
              tickFormat={id => labels.get(id) ?? ''}
            />
          </>
        );
      }}
    </ChartSvg>
  );
}

/** The runs' bars (a click opens the run), then the line of their durations over them. */
function RunBars(props: {
  runs: readonly IRunTrend[];
  steps: readonly string[];
  slowest: string | null;
  openRun?: (id: string) => void;
  x: ReturnType<typeof scaleBand<string>>;
  y: ReturnType<typeof scaleLinear<number>>;
}): JSX.Element {
  const { runs, steps, slowest, x, y } = props;
  const centre = (run: IRunTrend) => (x(run.id) ?? 0) + x.bandwidth() / 2;
  const timed = runs.filter(r => r.seconds !== null);
  return (
    <>
      {runs.map(run => (
        <g
          key={run.id}
          className={`jp-OrchTrends-run${run.failed ? ' jp-mod-failed' : ''}`}
          data-run={run.id}
          data-status={run.status}
          onClick={() => props.openRun?.(run.id)}
        >
          <title>{runText(run)}</title>
          {run.segments
            .filter(s => s.seconds > 0)
            .map(s => (
              <Bar
                key={s.step}
                className={`${seriesClass(steps.indexOf(s.step))}${s.step === slowest ? ' jp-mod-slowest' : ''}`}
                data-step={s.step}
                x={x(run.id)}
                y={y(s.offset + s.seconds)}
                width={x.bandwidth()}
                height={Math.max(y(s.offset) - y(s.offset + s.seconds), 1)}
              />
            ))}
        </g>
      ))}
      <LinePath<IRunTrend>
        className="jp-OrchTrends-runLine"
        data={timed}
        x={centre}
        y={r => y(r.seconds ?? 0)}
      />
      {timed.map(run => (
        <circle
          key={run.id}
          className={`jp-OrchTrends-runPoint${run.failed ? ' jp-mod-failed' : ''}`}
          data-point={run.id}
          cx={centre(run)}
          cy={y(run.seconds ?? 0)}
          r={run.failed ? 4.5 : 3.5}
          aria-hidden="true"
        />
      ))}
    </>
  );
}

/** Each step's peak memory: the largest over the runs, and the median inside it. */
export function MemoryChart(props: {
  ids: IChartIds;
  rows: readonly IStepRow[];
  steps: readonly string[];
}): JSX.Element {
  const { rows, steps } = props;
  const longest = Math.max(...rows.map(r => r.name.length), 4);
  const left = MEMORY_MARGIN.left + Math.min(longest * 7, 160);
  const innerHeight = rows.length * MEMORY_BAR;
  const y = scaleBand<string>({
    domain: rows.map(r => r.name),
    range: [0, innerHeight],
    padding: 0.25
  });
  return (
    <ChartSvg
      ids={props.ids}
      height={innerHeight + MEMORY_MARGIN.top + MEMORY_MARGIN.bottom}
      left={left}
      top={MEMORY_MARGIN.top}
    >
      {width => {
        const x = scaleLinear<number>({
          domain: [
            0,
            Math.max(...rows.map(r => r.peak_memory_bytes.max ?? 0), 1)
          ],
          range: [0, Math.max(width - left - MEMORY_MARGIN.right, 80)],
          nice: true
        });
        return (
          <>
            <MemoryBars rows={rows} steps={steps} x={x} y={y} />
            <AxisLeft scale={y} axisClassName="jp-OrchTrends-axis" hideTicks />
            <AxisBottom
              top={innerHeight}
              scale={x}
              numTicks={4}
              axisClassName="jp-OrchTrends-axis"
              tickFormat={value => formatBytes(Number(value))}
            />
          </>
        );
      }}
    </ChartSvg>
  );
}

/** A step's largest peak memory as a pale bar, its median as a narrower one inside it. */
function MemoryBars(props: {
  rows: readonly IStepRow[];
  steps: readonly string[];
  x: ReturnType<typeof scaleLinear<number>>;
  y: ReturnType<typeof scaleBand<string>>;
}): JSX.Element {
  const { x, y } = props;
  const thin = y.bandwidth() / 2;
  return (
    <>
      {props.rows.map(row => {
        const { median, max } = row.peak_memory_bytes;
        const colour = seriesClass(props.steps.indexOf(row.name));
        return (
          <g
            key={row.name}
            className="jp-OrchTrends-memory"
            data-step={row.name}
          >
            <title>
              {max === null
                ? trans.__('%1: not measured', row.name)
                : trans.__(
                    '%1: median peak %2, largest %3',
                    row.name,
                    formatBytes(median),
                    formatBytes(max)
                  )}
            </title>
            <Bar
              className={`${colour} jp-OrchTrends-memoryMax`}
              x={0}
              y={y(row.name)}
              width={x(max ?? 0)}
              height={y.bandwidth()}
            />
            <Bar
              className={colour}
              x={0}
              y={(y(row.name) ?? 0) + thin / 2}
              width={x(median ?? 0)}
              height={thin}
            />
          </g>
        );
      })}
    </>
  );
}
