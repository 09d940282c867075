/**
 * The run detail's log: every line the run wrote, newest at the bottom, following new lines
 * while scrolled to the end.
 */
import * as React from 'react';

import { trans } from '../common/i18n';
import { logParts } from './runView';
import type { ILogLine } from '../api/tokens';

/** The run log, newest at the bottom; follows new lines while scrolled to the end. */
export function RunLog(props: {
  lines: readonly ILogLine[];
  live: boolean;
}): JSX.Element {
  const [open, setOpen] = React.useState(true);
  const body = React.useRef<HTMLDivElement>(null);
  const follow = React.useRef(true);
  const count = props.lines.length;
  React.useLayoutEffect(() => {
    const el = body.current;
    if (el && follow.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [count, open]);
  return (
    <details
      className="jp-OrchRunDetail-section jp-OrchRunDetail-log"
      open={open}
      onToggle={event => setOpen(event.currentTarget.open)}
    >
      <summary className="jp-OrchRunDetail-sectionTitle">
        {trans.__('Log')}{' '}
        <span className="jp-OrchRunDetail-muted">
          {trans._n('(%1 line)', '(%1 lines)', count)}
        </span>
      </summary>
      {count === 0 ? (
        <p className="jp-OrchRunDetail-note">
          {props.live
            ? trans.__('No log lines yet.')
            : trans.__('This run logged nothing.')}
        </p>
      ) : (
        <div
          ref={body}
          className="jp-OrchRunDetail-logLines"
          role="log"
          aria-label={trans.__('Run log')}
          tabIndex={0}
          onScroll={event => {
            const el = event.currentTarget;
            follow.current =
              el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
          }}
        >
          {props.lines.map((line, index) => (
            <LogLineView key={index} line={line} />
          ))}
        </div>
      )}
    </details>
  );
}

function LogLineView(props: { line: ILogLine }): JSX.Element {
  const parts = logParts(props.line);
  return (
    <div
      className={`jp-OrchRunDetail-logLine${parts.isError ? ' jp-mod-error' : ''}`}
    >
      <span className="jp-OrchRunDetail-logTime">{parts.time}</span>{' '}
      {parts.step && (
        <>
          <span className="jp-OrchRunDetail-logStep">[{parts.step}]</span>{' '}
        </>
      )}
      <span className="jp-OrchRunDetail-logMessage">{parts.message}</span>
    </div>
  );
}
