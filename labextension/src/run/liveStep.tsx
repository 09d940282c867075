/**
 * What a step card shows while its run goes on: a retry's countdown with Retry now and Fail
 * now, and a running notebook's cell with its last lines of output. The words come from
 * liveProgress.ts.
 */
import * as React from 'react';

import { localTime } from '../common/format';
import { trans } from '../common/i18n';
import { cellProgressText, retryText } from './liveProgress';
import type { RunAction } from './runDetailModel';
import type { ICellProgress, IStepRun, StepWake } from '../api/tokens';

/** "Retrying in 40 s (attempt 3 of 4)", with Retry now and Fail now. */
export function RetryWait(props: {
  step: IStepRun;
  /** The attempts the step may make, when known. */
  allowed: number | null;
  now: Date;
  /** What the run detail is doing for the user: the buttons wait meanwhile. */
  busy: RunAction | null;
  onWake: (step: string, action: StepWake) => void;
}): JSX.Element {
  const { step, busy } = props;
  const at = localTime(step.next_attempt_at);
  const button = (
    action: StepWake,
    label: string,
    busyLabel: string,
    title: string
  ) => (
    <button
      type="button"
      className={`jp-mod-styled ${action === 'fail-now' ? 'jp-mod-warn' : 'jp-mod-accept'}`}
      disabled={busy !== null}
      title={title}
      onClick={event => {
        event.stopPropagation();
        props.onWake(step.name, action);
      }}
    >
      {busy === action ? busyLabel : label}
    </button>
  );
  return (
    <div className="jp-OrchRunDetail-retryWait">
      <span
        className="jp-OrchRunDetail-retry"
        role="timer"
        title={at ? trans.__('Next attempt at %1', at) : undefined}
      >
        {retryText(step, props.allowed, props.now)}
      </span>
      {/* An item of a for-each step is woken by its own name (`report[1]`) */}
      {button(
        'retry-now',
        trans.__('Retry now'),
        trans.__('Retry now…'),
        trans.__('Start the next attempt now')
      )}
      {button(
        'fail-now',
        trans.__('Fail now'),
        trans.__('Fail now…'),
        step.parent
          ? trans.__(
              'Make no more attempts: the item ends failed with its last error'
            )
          : trans.__(
              'Make no more attempts: the step ends failed with its last error'
            )
      )}
    </div>
  );
}

/** "cell 3 of 5 · 12 s", the cell's first line, and the step's last lines of output. */
export function CellProgressView(props: {
  progress: ICellProgress;
  output: readonly string[];
  now: Date;
}): JSX.Element {
  const { progress, output } = props;
  return (
    <div
      className="jp-OrchRunDetail-cellProgress"
      aria-label={trans.__('Cell progress')}
    >
      <div className="jp-OrchRunDetail-cellLine">
        <span className="jp-OrchRunDetail-cellCount">
          {cellProgressText(progress, props.now)}
        </span>
        {progress.source && (
          <code className="jp-OrchRunDetail-cellSource" title={progress.source}>
            {progress.source}
          </code>
        )}
      </div>
      {output.length > 0 && (
        <pre
          className="jp-OrchRunDetail-cellOutput"
          aria-label={trans.__('Last lines of output')}
        >
          {output.join('\n')}
        </pre>
      )}
    </div>
  );
}
