import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { describeConnection } from '../src/builder/builderKinds';
import { IBuilderForm } from '../src/builder/builderModel';
import { checkForm, FieldIds, fieldFor } from '../src/builder/builderProblems';
import { kindOf, kindsByStep } from '../src/common/stepKinds';
import { KINDS, loadForm as load, stepNamed as step } from './builderForms';

describe('step kind problems', () => {
  it('checks each kind before the server', () => {
    const base = load();
    const form: IBuilderForm = {
      ...base,
      steps: base.steps.map(s => {
        switch (s.name) {
          case 'new_users':
            return { ...s, query: { ...s.query, text: ' ', connection: '' } };
          case 'per_day':
            return { ...s, python: 'transforms.py' };
          case 'load':
            return {
              ...s,
              export: { ...s.export, table: '', ifExists: 'replace' }
            };
          case 'keep_csv':
            return { ...s, export: { ...s.export, from: '', file: '' } };
          default:
            return s;
        }
      })
    };
    const problems = checkForm(form);
    const at = (name: string, part: Parameters<typeof FieldIds.step>[1]) =>
      problems[FieldIds.step(step(form, name).key, part)];
    expect(at('new_users', 'sql')).toEqual(['Write the SQL']);
    expect(at('new_users', 'connection')).toEqual(['Choose a connection']);
    expect(at('per_day', 'python')?.[0]).toMatch(/FILE\.py:FUNCTION/);
    expect(at('load', 'export.to.table')).toEqual(['Give the table']);
    expect(at('load', 'export.to.key')?.[0]).toMatch(/replace/);
    expect(at('keep_csv', 'export.from')?.[0]).toMatch(/file to export/);
    expect(at('keep_csv', 'export.to.file')).toEqual([
      'Give the file to write'
    ]);
  });

  it("maps the server's field paths of each kind to their fields", () => {
    const form = load();
    // The server's path, the step it is in, and the part of that step (none: the step).
    const cases: [string, string, Parameters<typeof FieldIds.step>[1]?][] = [
      ['steps[0].sql', 'new_users', 'sql'],
      ['steps[1].sql.file', 'from_file', 'sql'],
      ['steps[1].connection', 'from_file', 'connection'],
      ['steps[2].python', 'per_day', 'python'],
      ['steps[3].export.to.if_exists', 'load', 'export.to.if_exists'],
      ['steps[3].export.to.key[1]', 'load', 'export.to.key'],
      ['steps[4].export.to', 'keep_csv', 'export.to'],
      ['steps[5].kernel', 'report']
    ];
    for (const [path, name, part] of cases) {
      expect(fieldFor(form, path), path).toBe(
        FieldIds.step(step(form, name).key, part)
      );
    }
  });
});

describe('kinds of step definitions', () => {
  it("reads the server's kind, else the key that names it", () => {
    expect(kindOf({ name: 'a', kind: 'export' })).toBe('export');
    expect(kindOf({ name: 'a', sql: 'SELECT 1' })).toBe('query');
    expect(kindOf({ name: 'a', notebook: null, python: 'a.py:f' })).toBe(
      'function'
    );
    expect(kindOf({ name: 'a' })).toBeNull();
    expect(kindsByStep(parse(KINDS).steps)).toMatchObject({
      new_users: 'query',
      per_day: 'function',
      keep_csv: 'export',
      report: 'notebook'
    });
  });

  it('describes a connection without credentials', () => {
    expect(
      describeConnection({
        name: 'warehouse',
        defined_by: 'JUPYTER_ORCH_CONN_WAREHOUSE',
        dialect: 'postgresql',
        host: '127.0.0.1',
        port: 5432,
        database: 'test'
      })
    ).toBe('postgresql, 127.0.0.1:5432/test');
    expect(
      describeConnection({
        name: 'w',
        defined_by: 'c.OrchApp.connections',
        dialect: 'sqlite',
        host: null,
        port: null,
        database: '/tmp/w.sqlite'
      })
    ).toBe('sqlite, /tmp/w.sqlite');
  });
});
