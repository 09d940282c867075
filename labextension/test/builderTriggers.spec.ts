import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { emptyForm, IBuilderForm, newStep } from '../src/builder/builderModel';
import {
  checkForm,
  FieldIds,
  fieldFor,
  mapProblems
} from '../src/builder/builderProblems';
import {
  durationSeconds,
  triggerProblems
} from '../src/builder/builderTriggersChecks';
import {
  ITriggerRow,
  newTrigger,
  readTriggers,
  savedTriggers,
  TriggerKind,
  webhookExample,
  webhookUrl
} from '../src/builder/builderTriggersModel';
import { formToYaml } from '../src/builder/builderYaml';
import { loadForm } from './builderForms';

const PATH = 'sales/daily.pipeline.yaml';

/** Every kind of `on:`: single values, a list, a query with a key and comments of its own. */
const SOURCE = `name: daily
schedule: "@daily"
on:
  # what else starts a run
  pipeline_succeeded: load-sales   # the upstream
  pipeline_failed: [load-sales, load-stock]
  file: "data/incoming/*.csv"
  sql:
    - connection: warehouse
      query: |
        select max(updated_at)
        from orders
      every: 1m
      note: kept as written   # a key the form does not know
    - {connection: "\${OTHER_URL}", query: select count(*) from t}
  webhook: {secret_env: SALES_HOOK_SECRET}
  some_future_kind: [x]
steps:
  - name: report
    notebook: report.ipynb
`;

const load = (source = SOURCE): IBuilderForm => loadForm(source, PATH);

/** What a form's YAML says under `on:`. */
const onOf = (form: IBuilderForm, source: string | null = SOURCE): unknown =>
  parse(formToYaml(form, source)).on;

const withRows = (form: IBuilderForm, triggers: ITriggerRow[]) => ({
  ...form,
  triggers
});

/** The form with the rows of `kind` changed by `change`. */
function editKind(
  form: IBuilderForm,
  kind: TriggerKind,
  change: Partial<ITriggerRow>,
  nth = 0
): IBuilderForm {
  let seen = -1;
  return withRows(
    form,
    form.triggers.map(r =>
      r.kind === kind && ++seen === nth ? { ...r, ...change } : r
    )
  );
}

/** A new pipeline with one step and these triggers. */
function fresh(...triggers: ITriggerRow[]): IBuilderForm {
  const base = { ...emptyForm('sales', 'UTC'), name: 'fresh' };
  return { ...base, steps: [newStep(base, 'sales/a.ipynb')], triggers };
}

describe('on: in the builder', () => {
  it('reads a row per trigger, in the file order', () => {
    const rows = load().triggers;
    expect(rows.map(r => r.kind)).toEqual([
      'pipeline_succeeded',
      'pipeline_failed',
      'pipeline_failed',
      'file',
      'sql',
      'sql',
      'webhook'
    ]);
    expect(rows.map(r => r.pipeline).filter(Boolean)).toEqual([
      'load-sales',
      'load-sales',
      'load-stock'
    ]);
    expect(rows[3].pattern).toBe('data/incoming/*.csv');
    expect(rows[4]).toMatchObject({
      connection: 'warehouse',
      query: 'select max(updated_at)\nfrom orders\n',
      every: '1m',
      sourceIndex: 0
    });
    expect(rows[5]).toMatchObject({
      connection: '${OTHER_URL}',
      every: '',
      sourceIndex: 1
    });
    expect(rows[6].secretEnv).toBe('SALES_HOOK_SECRET');
    // One query as a mapping, not a list, as the server reads it
    expect(
      readTriggers({ sql: { connection: 'w', query: 'q', every: 30 } })
    ).toMatchObject([{ kind: 'sql', every: '30', sourceIndex: 0 }]);
    expect(readTriggers(undefined)).toEqual([]);
    expect(readTriggers('not a mapping')).toEqual([]);
  });

  it('writes the file back byte for byte when the form changes nothing', () => {
    expect(formToYaml(load(), SOURCE)).toBe(SOURCE);
    const odd = 'name: odd\non:\nsteps: []\n';
    expect(formToYaml(load(odd), odd)).toBe(odd);
  });

  it.each([
    [
      'pipeline_succeeded',
      { pipeline: 'load-sales' },
      { pipeline_succeeded: 'load-sales' }
    ],
    [
      'pipeline_failed',
      { pipeline: 'load-sales' },
      { pipeline_failed: 'load-sales' }
    ],
    ['file', { pattern: 'in/**/*.csv' }, { file: 'in/**/*.csv' }],
    [
      'sql',
      { connection: 'warehouse', query: 'select max(id)\nfrom t', every: '5m' },
      {
        sql: [
          {
            connection: 'warehouse',
            query: 'select max(id)\nfrom t',
            every: '5m'
          }
        ]
      }
    ],
    [
      'webhook',
      { secretEnv: 'HOOK_SECRET' },
      { webhook: { secret_env: 'HOOK_SECRET' } }
    ]
  ] as const)(
    'round-trips a %s trigger through a new file',
    (kind, fields, written) => {
      const form = fresh(newTrigger(kind, fields));
      const text = formToYaml(form);
      expect(parse(text).on).toEqual(written);
      expect(text.indexOf('on:')).toBeLessThan(text.indexOf('steps:'));
      const back = load(text).triggers;
      expect(back).toHaveLength(1);
      expect(back[0]).toMatchObject({ kind, ...fields });
      expect(formToYaml(load(text), text)).toBe(text);
    }
  );

  it('writes several names as a list, numbers of seconds as numbers', () => {
    const form = fresh(
      newTrigger('pipeline_succeeded', { pipeline: 'a' }),
      newTrigger('pipeline_succeeded', { pipeline: 'b' }),
      newTrigger('sql', { connection: 'w', query: 'select 1', every: '90' })
    );
    expect(onOf(form, null)).toEqual({
      pipeline_succeeded: ['a', 'b'],
      sql: [{ connection: 'w', query: 'select 1', every: 90 }]
    });
  });

  it('edits a query in its own item: other keys and comments stay', () => {
    const form = editKind(load(), 'sql', { every: '5m' });
    const text = formToYaml(form, SOURCE);
    expect(text).toContain('# a key the form does not know');
    expect(text).toContain('# what else starts a run');
    const on = parse(text).on;
    expect(on.sql[0]).toEqual({
      connection: 'warehouse',
      query: 'select max(updated_at)\nfrom orders\n',
      every: '5m',
      note: 'kept as written'
    });
    expect(on.sql[1]).toEqual(parse(SOURCE).on.sql[1]);
    expect(on.some_future_kind).toEqual(['x']);
    expect({ ...on, sql: null }).toEqual({ ...parse(SOURCE).on, sql: null });
    // A query that only lost its trailing newline is not rewritten
    const trimmed = editKind(load(), 'sql', {
      query: 'select max(updated_at)\nfrom orders'
    });
    expect(formToYaml(trimmed, SOURCE)).toBe(SOURCE);
  });

  it('adds to a single value, keeping its comment', () => {
    const form = withRows(load(), [
      ...load().triggers,
      newTrigger('pipeline_succeeded', { pipeline: 'load-stock' })
    ]);
    const text = formToYaml(form, SOURCE);
    expect(parse(text).on.pipeline_succeeded).toEqual([
      'load-sales',
      'load-stock'
    ]);
    expect(text).toContain('# the upstream');
  });

  it('edits a single query mapping in place', () => {
    const one =
      'name: one\non:\n  sql: {connection: w, query: select 1}\nsteps: []\n';
    const form = editKind(load(one), 'sql', { query: 'select 2' });
    expect(parse(formToYaml(form, one)).on.sql).toEqual({
      connection: 'w',
      query: 'select 2'
    });
  });

  it('removes a trigger, and on: when the form empties it of what it edits', () => {
    const form = load();
    const second = form.triggers.filter(r => r.kind === 'sql')[0];
    const fewer = withRows(
      form,
      form.triggers.filter(r => r.key !== second.key && r.kind !== 'webhook')
    );
    const on = onOf(fewer) as Record<string, unknown>;
    expect(on.sql).toEqual([parse(SOURCE).on.sql[1]]);
    expect(on.webhook).toBeUndefined();
    // The key it does not know keeps on:
    expect(onOf(withRows(form, []))).toEqual({ some_future_kind: ['x'] });
    const plain = 'name: p\non:\n  file: a/*.csv\nsteps: []\n';
    expect(onOf(withRows(load(plain), []), plain)).toBeUndefined();
  });

  it('gives a query added after a save the item it was saved as', () => {
    const added = newTrigger('sql', { connection: 'w', query: 'select 1' });
    const rows = savedTriggers([...load().triggers, added]);
    expect(rows.filter(r => r.kind === 'sql').map(r => r.sourceIndex)).toEqual([
      0, 1, 2
    ]);
    expect(rows.find(r => r.kind === 'webhook')?.sourceIndex).toBeNull();
  });
});

describe('checks of the triggers', () => {
  const problemsOf = (...rows: ITriggerRow[]) =>
    triggerProblems(rows).map(([, part, message]) => [part, message]);

  it('say what to fix in the form', () => {
    expect(problemsOf(newTrigger('pipeline_failed'))).toEqual([
      ['pipeline', 'Choose a pipeline']
    ]);
    for (const pattern of ['', '/abs/*.csv', 'a/../b', 'a/x**/c']) {
      expect(problemsOf(newTrigger('file', { pattern }))).toHaveLength(1);
    }
    expect(problemsOf(newTrigger('file', { pattern: 'in/**/*.csv' }))).toEqual(
      []
    );
    expect(
      problemsOf(newTrigger('sql', { every: '0' })).map(([part]) => part)
    ).toEqual(['connection', 'query', 'every']);
    expect(
      problemsOf(newTrigger('webhook', { secretEnv: 'abc-123' }))[0][0]
    ).toBe('secret_env');
    const twice = ['a', 'a'].map(p =>
      newTrigger('pipeline_succeeded', { pipeline: p })
    );
    expect(problemsOf(...twice)).toEqual([['pipeline', 'a is given twice']]);
  });

  it('read durations as the server does', () => {
    expect(durationSeconds('90')).toBe(90);
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(durationSeconds('500ms')).toBe(0.5);
    expect(durationSeconds('5 m')).toBe(300);
    expect(durationSeconds('5 minutes')).toBeNull();
  });

  it('mark the fields of the form', () => {
    const form = fresh(newTrigger('sql', { connection: 'w' }));
    const [row] = form.triggers;
    expect(checkForm(form)[FieldIds.trigger(row.key, 'query')]).toEqual([
      'Write the query whose result is watched'
    ]);
  });

  it("map the server's field paths to the rows", () => {
    const form = load();
    const [succeeded, failed1, failed2, file, sql1, sql2, hook] = form.triggers;
    const at = (path: string) => fieldFor(form, path);
    expect(at('on.sql[1].connection')).toBe(
      FieldIds.trigger(sql2.key, 'connection')
    );
    expect(at('on.sql[0].every')).toBe(FieldIds.trigger(sql1.key, 'every'));
    expect(at('on.sql[0].note')).toBe(FieldIds.trigger(sql1.key));
    expect(at('on.pipeline_failed[1]')).toBe(
      FieldIds.trigger(failed2.key, 'pipeline')
    );
    expect(at('on.pipeline_failed[0]')).not.toBe(at('on.pipeline_failed[1]'));
    expect(failed1.kind).toBe('pipeline_failed');
    expect(at('on.pipeline_succeeded')).toBe(
      FieldIds.trigger(succeeded.key, 'pipeline')
    );
    expect(at('on.file')).toBe(FieldIds.trigger(file.key, 'pattern'));
    expect(at('on.webhook.secret_env')).toBe(
      FieldIds.trigger(hook.key, 'secret_env')
    );
    expect(at('on')).toBe(FieldIds.triggers);
    expect(at('on.pipeline_failed')).toBe(FieldIds.triggers); // which of two?
    expect(at('on.some_future_kind')).toBeNull();
    expect(at('notify.on_failure')).toBe(FieldIds.notifyEvent('on_failure'));
    const mapped = mapProblems(form, [
      {
        field: 'on.some_future_kind',
        message: 'Extra inputs are not permitted'
      }
    ]);
    expect(mapped.general).toHaveLength(1);
  });
});

describe('the webhook', () => {
  it("is the server's /orch/hooks/<name> under its base URL", () => {
    expect(webhookUrl('http://127.0.0.1:8888/', 'daily')).toBe(
      'http://127.0.0.1:8888/orch/hooks/daily'
    );
    expect(webhookUrl('https://hub.example.com/user/ana/', 'a_b')).toBe(
      'https://hub.example.com/user/ana/orch/hooks/a_b'
    );
  });

  it('shows a signed curl request reading the secret from its variable', () => {
    const url = 'http://127.0.0.1:8888/orch/hooks/daily';
    const example = webhookExample(url, 'SALES_HOOK_SECRET');
    expect(example).toContain(`curl --fail-with-body -X POST '${url}'`);
    expect(example).toContain('-hmac "$SALES_HOOK_SECRET"');
    expect(example).toContain('printf \'%s.%s\' "$ts" "$body"');
    for (const header of [
      'X-Orch-Timestamp: $ts',
      'X-Orch-Delivery: $(openssl rand -hex 16)',
      'X-Orch-Signature: sha256=$sig'
    ]) {
      expect(example).toContain(header);
    }
    // Never what was typed when it is no variable name (it may be the secret itself)
    expect(webhookExample(url, 'pa$$ word')).toContain('-hmac "$SECRET"');
  });
});
