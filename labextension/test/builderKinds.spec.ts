/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { keyColumns, nameSource } from '../src/builder/builderKinds';
import {
  dagPreview,
  emptyForm,
  IBuilderForm,
  IStepForm,
  newStep,
  notebookFromRoot,
  setName,
  setPath,
  setStepFields
} from '../src/builder/builderModel';
import { checkForm } from '../src/builder/builderProblems';
import { formToYaml } from '../src/builder/builderYaml';
import { KINDS, loadForm as load, stepNamed as step } from './builderForms';
// The shipped example, which mixes notebooks with a query and a function step.
import EXAMPLE from '../../example_notebooks/daily_report/pipeline.yaml?raw';

/** The form with one step changed as the builder changes it. */
function edit(
  form: IBuilderForm,
  name: string,
  change: Partial<IStepForm>
): IBuilderForm {
  return { ...form, steps: setStepFields(form, step(form, name).key, change) };
}

/** The steps of a YAML text as data. */
function stepsOf(text: string): Record<string, unknown>[] {
  return parse(text).steps;
}

describe('step kinds in the form', () => {
  it('reads each kind and its fields', () => {
    const form = load();
    expect(form.steps.map(s => [s.name, s.kind])).toEqual([
      ['new_users', 'query'],
      ['from_file', 'query'],
      ['per_day', 'function'],
      ['load', 'export'],
      ['keep_csv', 'export'],
      ['report', 'notebook']
    ]);
    expect(step(form, 'new_users').query).toEqual({
      source: 'text',
      text: 'SELECT user_id, created_at FROM users WHERE created_at > :since\n',
      file: '',
      connection: 'warehouse'
    });
    expect(step(form, 'from_file').query).toMatchObject({
      source: 'file',
      file: 'queries/new_users.sql',
      connection: '${WAREHOUSE_URL}'
    });
    expect(step(form, 'per_day').python).toBe('transforms.py:per_day');
    expect(step(form, 'load').export).toEqual({
      from: '{{ steps.per_day.outputs.path }}',
      target: 'table',
      table: 'users_per_day',
      connection: 'warehouse',
      ifExists: 'append',
      key: 'day',
      file: ''
    });
    expect(step(form, 'keep_csv').export).toMatchObject({
      target: 'file',
      file: '{{ run.dir }}/users_per_day.csv'
    });
    expect(step(form, 'new_users').parameters.map(p => p.name)).toEqual([
      'since'
    ]);
    expect(checkForm(form)).toEqual({});
  });

  it('gives the file back unchanged when nothing changed', () => {
    expect(formToYaml(load(), KINDS)).toBe(KINDS);
  });

  it('writes the same steps into a new file', () => {
    const fresh = formToYaml(load());
    const { kernel, ...report } = stepsOf(KINDS)[5];
    expect(kernel).toBe('python3'); // a key the form does not manage: only kept in place
    expect(stepsOf(fresh)).toEqual(
      // `key: day` is written as the list it stands for
      stepsOf(KINDS).map(s =>
        s.name === 'report'
          ? report
          : s.name === 'load'
            ? {
                ...s,
                export: {
                  from: '{{ steps.per_day.outputs.path }}',
                  to: {
                    table: 'users_per_day',
                    connection: 'warehouse',
                    if_exists: 'append',
                    key: ['day']
                  }
                }
              }
            : s
      )
    );
    expect(fresh).toContain('sql: |\n');
    expect(load(fresh).steps.map(s => s.kind)).toEqual(
      load().steps.map(s => s.kind)
    );
  });

  it('round-trips the shipped example', () => {
    const form = load(EXAMPLE, 'daily_report/pipeline.yaml');
    expect(formToYaml(form, EXAMPLE)).toBe(EXAMPLE);
    expect(stepsOf(formToYaml(form))).toEqual(stepsOf(EXAMPLE));
  });

  it('builds a pipeline of the four kinds that loads back the same', () => {
    let form = setName(emptyForm('etl', 'UTC'), 'users', 'etl');
    const add = (kind: IStepForm['kind'], change: Partial<IStepForm>) => {
      const added = newStep(form, undefined, kind);
      form = { ...form, steps: [...form.steps, added] };
      form = { ...form, steps: setStepFields(form, added.key, change) };
      return added.key;
    };
    const query = add('query', {
      query: {
        source: 'text',
        text: 'SELECT 1 AS n\nFROM users',
        file: '',
        connection: 'warehouse'
      }
    });
    const fn = add('function', { python: 'transforms.py:per_day' });
    form = {
      ...form,
      steps: form.steps.map(s => (s.key === fn ? { ...s, needs: [query] } : s))
    };
    add('export', {
      export: {
        from: '{{ steps.per_day.outputs.path }}',
        target: 'table',
        table: 'users_per_day',
        connection: 'warehouse',
        ifExists: '',
        key: 'day, region',
        file: ''
      }
    });
    add('notebook', { notebook: 'report.ipynb' });
    expect(form.steps.map(s => s.name)).toEqual([
      'step_1',
      'per_day',
      'load_users_per_day',
      'report'
    ]);
    expect(checkForm(form)).toEqual({});
    const text = formToYaml(form);
    expect(stepsOf(text)).toEqual([
      {
        name: 'step_1',
        sql: 'SELECT 1 AS n\nFROM users',
        connection: 'warehouse'
      },
      { name: 'per_day', python: 'transforms.py:per_day', needs: ['step_1'] },
      {
        name: 'load_users_per_day',
        export: {
          from: '{{ steps.per_day.outputs.path }}',
          to: {
            table: 'users_per_day',
            connection: 'warehouse',
            key: ['day', 'region']
          }
        }
      },
      { name: 'report', notebook: 'report.ipynb' }
    ]);
    const back = load(text, form.path);
    const fields = (s: IStepForm) => [s.kind, s.notebook, s.python, s.export];
    expect(back.steps.map(fields)).toEqual(form.steps.map(fields));
    expect(back.steps[0].query).toEqual(form.steps[0].query);
    expect(formToYaml(back, text)).toBe(text);
  });
});

describe('step kind edits', () => {
  it('writes only the new kind when a step changes kind', () => {
    const form = edit(load(), 'report', {
      kind: 'query',
      query: {
        source: 'file',
        text: '',
        file: 'report.sql',
        connection: 'warehouse'
      }
    });
    const report = stepsOf(formToYaml(form, KINDS)).find(
      s => s.name === 'report'
    );
    // `kernel` goes with notebooks: it goes too
    expect(report).toEqual({
      name: 'report',
      sql: { file: 'report.sql' },
      connection: 'warehouse',
      needs: ['load', 'keep_csv']
    });
    // Back to a notebook: the file as it was
    expect(formToYaml(edit(form, 'report', { kind: 'notebook' }), KINDS)).toBe(
      KINDS
    );
  });

  it('edits an export in place, keeping its comment and flow style', () => {
    let form = edit(load(), 'load', {
      export: { ...step(load(), 'load').export, ifExists: 'replace', key: '' }
    });
    let text = formToYaml(form, KINDS);
    expect(text).toContain('- name: load  # kind "export" into a table');
    expect(text).toContain(
      'to: {table: users_per_day, connection: warehouse, if_exists: replace}'
    );
    form = edit(form, 'load', {
      export: { ...step(form, 'load').export, target: 'file', file: 'out.csv' }
    });
    text = formToYaml(form, KINDS);
    expect(stepsOf(text).find(s => s.name === 'load')?.export).toEqual({
      from: '{{ steps.per_day.outputs.path }}',
      to: { file: 'out.csv' }
    });
    // SQL text written in place of a file
    form = edit(load(), 'from_file', {
      query: { ...step(load(), 'from_file').query, source: 'text', text: 'x' }
    });
    expect(stepsOf(formToYaml(form, KINDS))[1].sql).toBe('x');
  });

  it('names a step after what it runs until the name is typed', () => {
    const form = emptyForm('', 'UTC');
    const fresh = newStep(form, undefined, 'function');
    expect(fresh.kind).toBe('function');
    let steps = setStepFields({ ...form, steps: [fresh] }, fresh.key, {
      python: 'pkg.mod:clean_rows'
    });
    expect(steps[0].name).toBe('clean_rows');
    steps = setStepFields({ ...form, steps }, fresh.key, {
      kind: 'query',
      query: { ...fresh.query, source: 'file', file: 'q/new_users.sql' }
    });
    expect(steps[0].name).toBe('new_users');
    steps = setStepFields({ ...form, steps }, fresh.key, { retries: '2' });
    expect(steps[0].name).toBe('new_users');
    const typed = { ...steps[0], name: 'mine', nameEdited: true };
    steps = setStepFields({ ...form, steps: [typed] }, fresh.key, {
      python: 'a.py:other',
      kind: 'function'
    });
    expect(steps[0].name).toBe('mine');
    expect(
      nameSource({
        ...fresh,
        kind: 'export',
        export: { ...fresh.export, target: 'file', file: '{{ run.dir }}/x.csv' }
      })
    ).toBe('save_x.csv');
    expect(keyColumns(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
  });

  it('keeps relative files pointing at the same files when the pipeline moves', () => {
    let form = setPath(load(), 'users.pipeline.yaml');
    expect(step(form, 'from_file').query.file).toBe(
      'etl/queries/new_users.sql'
    );
    expect(step(form, 'per_day').python).toBe('etl/transforms.py:per_day');
    expect(step(form, 'load').export.from).toBe(
      '{{ steps.per_day.outputs.path }}'
    );
    form = edit(form, 'per_day', { python: 'pkg.mod:f' });
    expect(step(setPath(form, 'x/p.yaml'), 'per_day').python).toBe('pkg.mod:f');
  });

  it('previews each step with its kind', () => {
    const preview = dagPreview(load());
    expect(preview.nodes.map(n => [n.id, n.kind, n.detail])).toEqual([
      ['new_users', 'query', 'SQL on warehouse'],
      ['from_file', 'query', 'SQL on ${WAREHOUSE_URL}'],
      ['per_day', 'function', 'transforms.py:per_day'],
      ['load', 'export', 'to users_per_day'],
      ['keep_csv', 'export', 'to users_per_day.csv'],
      ['report', 'notebook', 'report.ipynb']
    ]);
    const form = load();
    expect(notebookFromRoot(form, step(form, 'report'))).toBe(
      'etl/report.ipynb'
    );
    expect(notebookFromRoot(form, step(form, 'per_day'))).toBeNull();
  });
});
