/**
 * "Compare with…" in the run detail: a menu of the pipeline's recent runs, the previous run
 * first, fetched when it opens; choosing one opens the comparison (the older run as `a`).
 */
import * as React from 'react';

import { errorMessage } from '../api/errorText';
import type { IRun } from '../api/tokens';
import { clip, relativeTime, runLabel, statusLabel } from '../common/format';
import { trans } from '../common/i18n';
import { IMenuItem, MenuButton } from '../common/menuButton';
import { valueEntries } from '../run/runView';
import { comparePair, compareCandidates } from './compareData';

/** How many of the pipeline's runs the menu offers (the newest). */
export const RECENT_RUNS = 20;

/** The longest list of a run's parameters a choice shows. */
const PARAMETERS_MAX = 80;

/** What the run detail gives "Compare with…". */
export interface ICompareWith {
  /** The pipeline's most recent runs, newest first. */
  recentRuns: (pipeline: string) => Promise<IRun[]>;
  /** Opens the comparison of run `a` (the older) with run `b`. */
  compare: (a: string, b: string) => void;
}

function candidateItem(
  run: IRun,
  other: IRun,
  actions: ICompareWith,
  tag?: string
): IMenuItem {
  const when = relativeTime(other.started_at ?? other.created_at);
  const version = trans.__('version %1', other.version);
  const parameters = valueEntries(other.parameters)
    .map(([name, value]) => `${name} = ${value}`)
    .join(', ');
  return {
    key: other.id,
    label: trans.__('%1 · %2', runLabel(other), statusLabel(other.status)),
    description: [when, version, clip(parameters, PARAMETERS_MAX)]
      .filter(Boolean)
      .join(' · '),
    tag,
    onSelect: () => {
      const { a, b } = comparePair(run, other);
      actions.compare(a, b);
    }
  };
}

export function CompareWithButton(props: {
  run: IRun;
  actions: ICompareWith;
}): JSX.Element {
  const { run, actions } = props;
  const [runs, setRuns] = React.useState<IRun[] | null>(null);
  const [problem, setProblem] = React.useState<string | null>(null);
  const asked = React.useRef(0);
  const alive = React.useRef(true);
  React.useEffect(
    () => () => {
      alive.current = false;
    },
    []
  );

  const load = () => {
    const ticket = ++asked.current;
    setProblem(null);
    actions.recentRuns(run.pipeline).then(
      found => {
        if (alive.current && ticket === asked.current) {
          setRuns(found);
        }
      },
      error => {
        if (alive.current && ticket === asked.current) {
          setProblem(errorMessage(error));
        }
      }
    );
  };

  let items: IMenuItem[] | null = null;
  let status: string | null = null;
  if (problem) {
    status = trans.__('Could not list the runs: %1', problem);
  } else if (runs === null) {
    status = trans.__('Loading runs…');
  } else {
    const { previous, others } = compareCandidates(run, runs);
    items = [
      ...(previous
        ? [candidateItem(run, previous, actions, trans.__('previous run'))]
        : []),
      ...others.map(other => candidateItem(run, other, actions))
    ];
    if (items.length === 0) {
      status = trans.__('No other runs of %1', run.pipeline);
    }
  }

  return (
    <MenuButton
      label={trans.__('Compare with…')}
      title={trans.__(
        'Compare this run with another run of %1: parameters, version, each step’s status, duration and outputs',
        run.pipeline
      )}
      menuLabel={trans.__('Compare with')}
      items={items}
      status={status}
      onOpen={load}
    />
  );
}
