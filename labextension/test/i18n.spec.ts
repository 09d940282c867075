import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { afterEach, describe, expect, it } from 'vitest';

import { errorSummary } from '../src/api/errorText';
import { OrchError } from '../src/api/api';
import { kindOptions } from '../src/builder/builderKindFields';
import { emptyForm } from '../src/builder/builderModel';
import { NOTIFY_EVENT_LABELS } from '../src/builder/builderNotify';
import { checkForm, FieldIds } from '../src/builder/builderProblems';
import {
  formatDuration,
  relativeTime,
  statusLabel
} from '../src/common/format';
import { setTranslator, trans } from '../src/common/i18n';
import {
  cronFromDraft,
  draftFromCron,
  draftNote,
  SCHEDULE_MODES,
  WEEKDAYS
} from '../src/common/scheduleModes';
import { KIND_LABELS } from '../src/common/stepKinds';
import { cancelRunQuestion } from '../src/dialogs/conflicts';
import { retryText, runProgress } from '../src/run/liveProgress';
import { stepSummary } from '../src/run/stepSummary';
import { stepNote } from '../src/run/runView';
import { failureCount, runTrends } from '../src/trends/trendsData';
import { makeAttempt, makeRun, makeStep } from './fixtures';

/** A catalogue as a language pack gives one: msgid (with `context\u0004` before it, for `_p`)
 * to its translation, or to its singular and plural forms. */
const FRENCH: Record<string, string | [string, string]> = {
  'Every day at': 'Chaque jour à',
  Monday: 'Lundi',
  '%1 min %2 s': '%1 min %2 s',
  '%1 h %2 min': '%1 h %2',
  '%1 min ago': 'il y a %1 min',
  '%1 day ago': ['il y a %1 jour', 'il y a %1 jours'],
  '%2 of %1 run failed': [
    // The form follows the count of runs (%1), as the English one does
    '%2 sur %1 exécution en échec',
    '%2 sur %1 exécutions en échec'
  ],
  '%2 does not divide 60: the count restarts each hour, so the last gap of each hour is %1 minute.':
    [
      '%2 ne divise pas 60 : le dernier écart de chaque heure est de %1 minute.',
      '%2 ne divise pas 60 : le dernier écart de chaque heure est de %1 minutes.'
    ],
  'Time: give a time from 00:00 to 23:59, e.g. 07:30':
    'Heure : donnez une heure de 00:00 à 23:59, p. ex. 07:30',
  'status\u0004Failed': 'Échoué',
  'step kind\u0004Notebook': 'Notebook Jupyter',
  'Cancel run %1 of %2?': 'Annuler l’exécution %1 de %2 ?',
  '(and %1 more)': ['(et %1 autre)', '(et %1 autres)'],
  // The run detail and the sidebar's rows
  'Waiting for %1': 'En attente de %1',
  'Retrying in %1 (%2)': 'Nouvel essai dans %1 (%2)',
  'attempt %1 of %2': 'essai %1 sur %2',
  '%2 record': ['%2 enregistrement', '%2 enregistrements'],
  'step %2/%3: %4 +%1 more': [
    'étape %2/%3 : %4 et %1 autre',
    'étape %2/%3 : %4 et %1 autres'
  ],
  // The builder
  'Give the pipeline a name': 'Donnez un nom au pipeline',
  'Add at least one step': 'Ajoutez au moins une étape',
  'On failure': 'En cas d’échec'
};

/** `%1`, `%2`... replaced by the arguments, as JupyterLab's bundles do. */
function format(text: string, args: unknown[]): string {
  return text.replace(/%(\d+)/g, (_, n) => String(args[Number(n) - 1]));
}

function pick(msgid: string, plural: string, n: number): string {
  const found = FRENCH[msgid];
  if (Array.isArray(found)) {
    return n === 1 ? found[0] : found[1];
  }
  return n === 1 ? msgid : plural;
}

/** A fake translator: French for the strings of `FRENCH`, the English for any other. */
class FakeFrenchTranslator implements ITranslator {
  readonly languageCode = 'fr-FR';
  readonly domains: string[] = [];

  load(domain: string): TranslationBundle {
    this.domains.push(domain);
    const one = (msgid: string, ...args: unknown[]) => {
      const found = FRENCH[msgid];
      return format(typeof found === 'string' ? found : msgid, args);
    };
    const many = (
      msgid: string,
      plural: string,
      n: number,
      ...args: unknown[]
    ) => format(pick(msgid, plural, n), [n, ...args]);
    const inContext = (context: string, msgid: string, ...args: unknown[]) => {
      const found = FRENCH[`${context}\u0004${msgid}`];
      return format(typeof found === 'string' ? found : msgid, args);
    };
    const manyInContext = (
      context: string,
      msgid: string,
      plural: string,
      n: number,
      ...args: unknown[]
    ) => many(msgid, plural, n, ...args);
    return {
      __: one,
      gettext: one,
      _n: many,
      ngettext: many,
      _p: inContext,
      pgettext: inContext,
      _np: manyInContext,
      npgettext: manyInContext,
      dcnpgettext: (_domain, context, msgid, plural, n, ...args) =>
        manyInContext(context, msgid, plural, n, ...args)
    };
  }
}

describe('the lab extension in another language', () => {
  afterEach(() => setTranslator(null));

  it('loads the jupyter_orch domain from the translator it is given', () => {
    const translator = new FakeFrenchTranslator();
    setTranslator(translator);
    expect(translator.domains).toEqual(['jupyter_orch']);
  });

  it('says schedules in the translator’s words', () => {
    setTranslator(new FakeFrenchTranslator());
    const daily = SCHEDULE_MODES.find(choice => choice.mode === 'daily');
    expect(daily?.label).toBe('Chaque jour à');
    expect(WEEKDAYS[0].name).toBe('Lundi');
    expect(draftNote(draftFromCron('*/7 * * * *'))).toBe(
      '7 ne divise pas 60 : le dernier écart de chaque heure est de 4 minutes.'
    );
    expect(
      cronFromDraft({ ...draftFromCron('0 9 * * *'), time: '25:00' }).problem
    ).toBe('Heure : donnez une heure de 00:00 à 23:59, p. ex. 07:30');
  });

  it('formats durations, times and statuses in them', () => {
    setTranslator(new FakeFrenchTranslator());
    expect(formatDuration(7800)).toBe('2 h 10');
    const now = new Date('2026-11-26T12:00:00Z');
    expect(relativeTime('2026-11-26T11:55:00Z', now)).toBe('il y a 5 min');
    expect(relativeTime('2026-11-24T12:00:00Z', now)).toBe('il y a 2 jours');
    expect(relativeTime('2026-11-25T12:00:00Z', now)).toBe('il y a 1 jour');
    expect(statusLabel('failed')).toBe('Échoué');
    expect(KIND_LABELS.notebook).toBe('Notebook Jupyter');
  });

  it('chooses the plural form by the count', () => {
    setTranslator(new FakeFrenchTranslator());
    const failed = runTrends(
      [
        makeRun({ id: 'run-2', status: 'failed' }),
        makeRun({ id: 'run-1', status: 'succeeded' })
      ],
      [],
      30
    );
    expect(failureCount(failed)).toBe('1 sur 2 exécutions en échec');
    expect(failureCount(failed.slice(0, 1))).toBe('0 sur 1 exécution en échec');
    const error = new OrchError('invalid', 400, [
      { field: 'a', message: 'bad' },
      { field: 'b', message: 'bad' },
      { field: 'c', message: 'bad' }
    ]);
    expect(errorSummary(error)).toBe('a: bad (et 2 autres)');
  });

  it('puts names into the translated sentence', () => {
    setTranslator(new FakeFrenchTranslator());
    const run = makeRun({ number: 42, pipeline: 'daily', status: 'running' });
    expect(cancelRunQuestion(run).title).toBe(
      'Annuler l’exécution #42 de daily ?'
    );
  });

  it('says the run detail’s words in them, plural forms too', () => {
    setTranslator(new FakeFrenchTranslator());
    const pending = makeStep('load', 'pending', [], ['extract', 'clean']);
    expect(stepNote(pending)).toBe('En attente de extract, clean');
    const retrying = {
      ...makeStep('load', 'retrying', [makeAttempt(1, { status: 'failed' })]),
      next_attempt_at: '2026-11-26T12:00:40Z'
    };
    const now = new Date('2026-11-26T12:00:00Z');
    expect(retryText(retrying, 3, now)).toBe(
      'Nouvel essai dans 40 s (essai 2 sur 3)'
    );
    expect(stepSummary('query', { records_count: 12345, path: 'x' })).toEqual({
      text: '12,345 enregistrements'
    });
    expect(stepSummary('query', { records_count: 1, path: 'x' })).toEqual({
      text: '1 enregistrement'
    });
    const steps = ['a', 'b', 'c'].map(name => makeStep(name, 'running'));
    expect(runProgress(makeRun({ steps }), now)).toBe(
      'étape 1/3 : a et 2 autres'
    );
  });

  it('says the builder’s problems and choices in them', () => {
    setTranslator(new FakeFrenchTranslator());
    const problems = checkForm(emptyForm('', 'UTC'));
    expect(problems[FieldIds.name]).toEqual(['Donnez un nom au pipeline']);
    expect(problems[FieldIds.steps]).toEqual(['Ajoutez au moins une étape']);
    expect(kindOptions()[0]).toEqual({
      value: 'notebook',
      label: 'Notebook Jupyter'
    });
    expect(NOTIFY_EVENT_LABELS.on_failure).toBe('En cas d’échec');
  });

  it('is English again once the translator is reset', () => {
    setTranslator(new FakeFrenchTranslator());
    setTranslator(null);
    expect(SCHEDULE_MODES[2].label).toBe('Every day at');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(trans._n('%1 step', '%1 steps', 1)).toBe('1 step');
    expect(trans._n('%1 step', '%1 steps', 3)).toBe('3 steps');
    expect(kindOptions()[0].label).toBe('Notebook');
    expect(NOTIFY_EVENT_LABELS.on_failure).toBe('On failure');
  });
});
