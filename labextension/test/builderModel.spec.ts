/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import {
  dagPreview,
  defaultPath,
  defaultStepName,
  dependents,
  emptyForm,
  IBuilderForm,
  inferValue,
  joinPath,
  moveStep,
  newParamRow,
  newStep,
  notebookFromRoot,
  pipelineNameProblem,
  relativePath,
  removeStep,
  setName,
  setNotebook,
  setPath,
  typeWord,
  valueText
} from '../src/builder/builderModel';
import {
  checkForm,
  FieldIds,
  fieldFor,
  mapProblems,
  mergeProblems,
  problemsFromMessage
} from '../src/builder/builderProblems';
import {
  formToYaml,
  keepLineSpacing,
  yamlToForm
} from '../src/builder/builderYaml';
import { loadForm, stepNamed } from './builderForms';
// The example pipeline as shipped before step kinds (five notebooks), frozen here as text
// (Vite's ?raw import): these tests are about notebook steps, and the shipped example changes.
import EXAMPLE from './fixtures/notebook_pipeline.yaml?raw';

const EXAMPLE_PATH = 'daily_report/pipeline.yaml';

const loadExample = (): IBuilderForm => loadForm(EXAMPLE, EXAMPLE_PATH);

describe('values as text', () => {
  it('reads typed values', () => {
    expect(inferValue('7')).toEqual({ ok: true, value: 7 });
    expect(inferValue('0.5')).toEqual({ ok: true, value: 0.5 });
    expect(inferValue('true')).toEqual({ ok: true, value: true });
    expect(inferValue('"7"')).toEqual({ ok: true, value: '7' });
    expect(inferValue('x')).toEqual({ ok: true, value: 'x' });
    expect(inferValue('[1, "a"]')).toEqual({ ok: true, value: [1, 'a'] });
    expect(inferValue('{{ run.dir }}/x')).toEqual({
      ok: true,
      value: '{{ run.dir }}/x'
    });
    expect(inferValue('{"a": ')).toMatchObject({ ok: false });
    expect(inferValue('"{{ run.dir }}/x"')).toEqual({
      ok: true,
      value: '{{ run.dir }}/x'
    });
  });

  it('writes text that reads back as the same value', () => {
    for (const value of [
      '7',
      'true',
      'x',
      '2024-03-31',
      '[a]',
      7,
      0.5,
      false,
      [1, 'a'],
      null
    ]) {
      const back = inferValue(valueText(value));
      expect(back).toEqual({ ok: true, value });
    }
    expect(valueText('7')).toBe('"7"');
    expect(valueText('plain text')).toBe('plain text');
    expect(valueText('{{ run.id }}')).toBe('{{ run.id }}');
  });

  it('names the type a text gives', () => {
    expect(
      ['7', '7.0', 'true', 'x', '"7"', '[1]', '{"a": 1}', 'null', '[x'].map(
        typeWord
      )
    ).toEqual([
      'int',
      'float',
      'bool',
      'str',
      'str',
      'list',
      'dict',
      'null',
      null
    ]);
  });
});

describe('names and paths', () => {
  it('derives valid, unique step names from notebooks', () => {
    expect(defaultStepName('a/01_load_sales.ipynb', [])).toBe('load_sales');
    expect(defaultStepName('My Report-2.ipynb', [])).toBe('My_Report_2');
    expect(defaultStepName('123.ipynb', [])).toBe('step');
    expect(defaultStepName('class.ipynb', [])).toBe('class_step');
    expect(defaultStepName('load.ipynb', ['load', 'load_2'])).toBe('load_3');
  });

  it('checks pipeline names', () => {
    expect(pipelineNameProblem('')).toMatch(/name/);
    expect(pipelineNameProblem('Daily')).toMatch(/lower-case/);
    expect(pipelineNameProblem('daily-sales_2')).toBeNull();
  });

  it('resolves notebook paths against the pipeline file', () => {
    expect(defaultPath('reports', 'daily')).toBe('reports/daily.pipeline.yaml');
    expect(defaultPath('', 'daily')).toBe('daily.pipeline.yaml');
    expect(joinPath('a/b', '../c/./d.ipynb')).toBe('a/c/d.ipynb');
    expect(relativePath('a/b', 'a/c/d.ipynb')).toBe('../c/d.ipynb');
    expect(relativePath('', 'x.ipynb')).toBe('x.ipynb');
  });
});

describe('form edits', () => {
  it('lets the path follow the name until edited', () => {
    let form = setName(emptyForm('reports', 'UTC'), 'daily', 'reports');
    expect(form.path).toBe('reports/daily.pipeline.yaml');
    form = setPath(form, 'other/p.yaml');
    form = setName(form, 'weekly', 'reports');
    expect(form.path).toBe('other/p.yaml');
  });

  it('keeps notebooks pointing at the same files when the file moves', () => {
    let form = setName(emptyForm('reports', 'UTC'), 'daily', 'reports');
    form = { ...form, steps: [newStep(form, 'reports/nb/load.ipynb')] };
    expect(form.steps[0].notebook).toBe('nb/load.ipynb');
    expect(form.steps[0].name).toBe('load');
    form = setPath(form, 'daily.pipeline.yaml');
    expect(form.steps[0].notebook).toBe('reports/nb/load.ipynb');
    expect(notebookFromRoot(form, form.steps[0])).toBe('reports/nb/load.ipynb');
  });

  it('names a step after its notebook until the name is typed', () => {
    const form = emptyForm('', 'UTC');
    const step = newStep(form);
    let steps = setNotebook(
      { ...form, steps: [step] },
      step.key,
      'clean.ipynb'
    );
    expect(steps[0].name).toBe('clean');
    steps = [{ ...steps[0], name: 'mine', nameEdited: true }];
    steps = setNotebook({ ...form, steps }, step.key, 'other.ipynb');
    expect(steps[0].name).toBe('mine');
  });

  it('removes a step from the needs of others and moves steps', () => {
    const form = loadExample();
    const load = stepNamed(form, 'load_sales');
    const steps = removeStep(form.steps, load.key);
    expect(steps.map(s => s.name)).not.toContain('load_sales');
    expect(steps.find(s => s.name === 'totals')?.needs).toEqual([]);
    const moved = moveStep(form.steps, load.key, 2);
    expect(moved.map(s => s.name)).toEqual([
      'totals',
      'trends',
      'load_sales',
      'chart',
      'report'
    ]);
    expect(moveStep(form.steps, load.key, -1)).toBe(form.steps);
  });

  it('finds the steps that would make a cycle', () => {
    const form = loadExample();
    const trends = stepNamed(form, 'trends');
    const names = [...dependents(form.steps, trends.key)].map(
      key => form.steps.find(s => s.key === key)?.name
    );
    expect(names.sort()).toEqual(['chart', 'report']);
    expect(dependents(form.steps, stepNamed(form, 'report').key).size).toBe(0);
  });

  it('gives the DAG preview nodes and needs', () => {
    const preview = dagPreview(loadExample());
    expect(preview.nodes.map(n => n.id)).toEqual([
      'load_sales',
      'totals',
      'trends',
      'chart',
      'report'
    ]);
    expect(preview.nodes[0].detail).toBe('01_load_sales.ipynb');
    expect(preview.needs.report).toEqual(['totals', 'trends', 'chart']);
  });
});

describe('YAML round trip', () => {
  it('reads the example into the form', () => {
    const form = loadExample();
    expect(form.name).toBe('daily-sales-report');
    expect(form.parameters.map(p => [p.name, p.text])).toEqual([
      ['report_date', '2024-03-31'],
      ['days', '7'],
      ['recipients', '["sales-team@example.com","finance@example.com"]']
    ]);
    expect(form.schedule).toEqual({
      cron: '0 9 * * *',
      timezone: 'Europe/Berlin'
    });
    expect(
      yamlToForm('name: p\nsteps: []\n', 'p.yaml', 'Asia/Tokyo')?.schedule
    ).toEqual({
      cron: '',
      timezone: 'Asia/Tokyo'
    });
    expect(
      yamlToForm('name: p\nschedule: "@daily"\nsteps: []\n', 'p.yaml', 'UTC')
        ?.schedule
    ).toEqual({
      cron: '@daily',
      timezone: ''
    });
    expect(form.inherited).toEqual({ retries: '2', timeout: '5m' });
    const report = stepNamed(form, 'report');
    expect(report.retries).toBe('0');
    expect(report.needs.length).toBe(3);
    expect(report.parameters.map(p => p.name)).toContain('run_id');
  });

  it('gives the file back unchanged when nothing changed', () => {
    expect(formToYaml(loadExample(), EXAMPLE)).toBe(EXAMPLE);
  });

  it('keeps comments and unmanaged keys when the form changes', () => {
    const form = loadExample();
    const report = stepNamed(form, 'report');
    const totals = stepNamed(form, 'totals');
    const edited: IBuilderForm = {
      ...form,
      parameters: [...form.parameters, newParamRow('region', 'emea')],
      schedule: { cron: '0 9 * * *', timezone: 'Europe/Berlin' },
      steps: [
        ...form.steps.map(s =>
          s.key === report.key
            ? {
                ...s,
                retries: '1',
                condition: 'params.days > 1',
                needs: [totals.key]
              }
            : s
        ),
        {
          ...newStep(form, 'daily_report/06_archive.ipynb'),
          needs: [report.key]
        }
      ]
    };
    const text = formToYaml(edited, EXAMPLE);
    // comments, defaults, limits and the folded description stay
    expect(text).toContain('# Daily Report Generation');
    expect(text).toContain('# quoted to stay a string');
    expect(text).toContain('# never send the same email twice');
    expect(text).toContain('retry_delay: 30s');
    expect(text).toContain('max_parallel_steps: 2');
    expect(text).toContain('description: >-');
    expect(text).toContain('report_date: "2024-03-31"');
    const data = parse(text);
    expect(data.parameters.region).toBe('emea');
    expect(data.schedule).toEqual({
      cron: '0 9 * * *',
      timezone: 'Europe/Berlin'
    });
    expect(Object.keys(data).indexOf('schedule')).toBeLessThan(
      Object.keys(data).indexOf('steps')
    );
    const last = data.steps[data.steps.length - 1];
    expect(last).toEqual({
      name: 'archive',
      notebook: '06_archive.ipynb',
      needs: ['report']
    });
    const reportData = data.steps[4];
    expect(reportData.retries).toBe(1);
    expect(reportData.if).toBe('params.days > 1');
    expect(reportData.needs).toEqual(['totals']);
    expect(reportData.parameters.run_id).toBe('{{ run.id }}');
    expect(text).toContain('needs: [totals]');
    // the spacing before comments is kept on lines that did not change
    expect(text).toContain(
      '  days: 7                    # length of the report period'
    );
  });

  it('never changes a value to keep spacing before a comment', () => {
    const source = 'name: p\na: "x  #y"  # c\n';
    expect(keepLineSpacing(source, 'name: p\na: "x #y" # c\n')).toBe(
      'name: p\na: "x #y" # c\n'
    );
    expect(keepLineSpacing(source, 'name: q\na: "x  #y" # c\n')).toBe(
      'name: q\na: "x  #y"  # c\n'
    );
  });

  it('keeps step keys the form does not show when a step moves', () => {
    const source = [
      'name: p',
      'steps:',
      '  - name: a',
      '    notebook: a.ipynb',
      '    kernel: python3  # the kernel',
      '    retry_delay: 10s',
      '  - name: b',
      '    notebook: b.ipynb',
      ''
    ].join('\n');
    const form = yamlToForm(source, 'p.yaml');
    expect(form).not.toBeNull();
    const f = form as IBuilderForm;
    const text = formToYaml(
      { ...f, steps: moveStep(f.steps, f.steps[0].key, 1) },
      source
    );
    const data = parse(text);
    expect(data.steps.map((s: { name: string }) => s.name)).toEqual(['b', 'a']);
    expect(data.steps[1]).toEqual({
      name: 'a',
      notebook: 'a.ipynb',
      kernel: 'python3',
      retry_delay: '10s'
    });
    expect(text).toContain('# the kernel');
  });

  it('writes a clean new pipeline', () => {
    let form = setName(emptyForm('reports', 'UTC'), 'daily', 'reports');
    const first = newStep(form, 'reports/load.ipynb');
    form = { ...form, steps: [first] };
    const second = {
      ...newStep(form, 'reports/report.ipynb'),
      needs: [first.key]
    };
    form = {
      ...form,
      description: 'Daily numbers',
      parameters: [newParamRow('days', '7'), newParamRow('label', '"7"')],
      schedule: { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' },
      steps: [
        first,
        {
          ...second,
          timeout: '5m',
          retries: '2',
          parameters: [newParamRow('n', '[1, 2]')]
        }
      ]
    };
    const text = formToYaml(form);
    expect(text.startsWith('# Pipeline daily')).toBe(true);
    expect(parse(text)).toEqual({
      name: 'daily',
      description: 'Daily numbers',
      parameters: { days: 7, label: '7' },
      schedule: { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' },
      steps: [
        { name: 'load', notebook: 'load.ipynb' },
        {
          name: 'report',
          notebook: 'report.ipynb',
          needs: ['load'],
          retries: 2,
          timeout: '5m',
          parameters: { n: [1, 2] }
        }
      ]
    });
    expect(text).toContain('needs: [load]');
    expect(text).not.toContain('{');
    expect(text).toMatch(/notebook: load.ipynb\n\n {2}- name: report/);
  });

  it('removes keys the form cleared', () => {
    const form = loadExample();
    const report = stepNamed(form, 'report');
    const text = formToYaml(
      {
        ...form,
        description: '',
        parameters: [],
        steps: form.steps.map(s =>
          s.key === report.key ? { ...s, retries: '', parameters: [] } : s
        )
      },
      EXAMPLE
    );
    const data = parse(text);
    expect(data.description).toBeUndefined();
    expect(data.parameters).toBeUndefined();
    expect(data.steps[4].retries).toBeUndefined();
    expect(data.steps[4].parameters).toBeUndefined();
    expect(data.defaults.retries).toBe(2);
  });
});

describe('problems', () => {
  it('maps server field paths to form fields', () => {
    const form = loadExample();
    const [load, totals] = form.steps;
    const days = form.parameters[1];
    const dbPath = totals.parameters[0];
    expect(fieldFor(form, 'name')).toBe('name');
    expect(fieldFor(form, 'parameters.days')).toBe(FieldIds.param(days.key));
    expect(fieldFor(form, 'parameters.nope')).toBe(FieldIds.parameters);
    expect(fieldFor(form, 'schedule.timezone')).toBe(FieldIds.schedule);
    expect(fieldFor(form, 'steps')).toBe(FieldIds.steps);
    expect(fieldFor(form, 'steps[0].notebook')).toBe(
      FieldIds.step(load.key, 'notebook')
    );
    expect(fieldFor(form, 'steps[1].needs[0]')).toBe(
      FieldIds.step(totals.key, 'needs')
    );
    expect(fieldFor(form, 'steps[1].parameters.db_path')).toBe(
      FieldIds.stepParam(totals.key, dbPath.key)
    );
    expect(fieldFor(form, 'steps[1].if')).toBe(FieldIds.step(totals.key, 'if'));
    expect(fieldFor(form, 'steps[1].retry_delay')).toBe(
      FieldIds.step(totals.key)
    );
    expect(fieldFor(form, 'steps[1]')).toBe(FieldIds.step(totals.key));
    expect(fieldFor(form, 'steps[9].name')).toBe(FieldIds.steps);
    expect(fieldFor(form, 'limits.max_duration')).toBeNull();
    expect(fieldFor(form, '')).toBeNull();
  });

  it('splits problems into fields and general ones', () => {
    const form = loadExample();
    const mapped = mapProblems(form, [
      { field: 'steps[1].foo', message: "unknown key 'foo'" },
      { field: 'defaults.retries', message: 'bad' },
      { field: 'steps[0].name', message: 'not an identifier' }
    ]);
    expect(mapped.fields[FieldIds.step(form.steps[1].key)]).toEqual([
      "foo: unknown key 'foo'"
    ]);
    expect(mapped.fields[FieldIds.step(form.steps[0].key, 'name')]).toEqual([
      'not an identifier'
    ]);
    expect(mapped.general).toEqual([
      { field: 'defaults.retries', message: 'bad' }
    ]);
    const conflict = problemsFromMessage(
      form,
      'path: x.yaml exists and is not the pipeline'
    );
    expect(conflict.fields.path).toEqual([
      'x.yaml exists and is not the pipeline'
    ]);
    expect(problemsFromMessage(form, 'internal error').general).toHaveLength(1);
  });

  it("prefers the form's own message for a field", () => {
    const merged = mergeProblems(
      { name: ['Give the pipeline a name'] },
      {
        fields: {
          name: ["pipeline name '' must be..."],
          'step:s1:if': ['bad']
        },
        general: [{ field: 'limits', message: 'x' }]
      }
    );
    expect(merged.fields).toEqual({
      name: ['Give the pipeline a name'],
      'step:s1:if': ['bad']
    });
    expect(merged.general).toHaveLength(1);
  });

  it('checks the form before the server', () => {
    const empty = checkForm(emptyForm('', 'UTC'));
    expect(empty[FieldIds.name]).toBeDefined();
    expect(empty[FieldIds.steps]).toBeDefined();
    const form = loadExample();
    expect(checkForm(form)).toEqual({});
    const bad: IBuilderForm = {
      ...form,
      parameters: [newParamRow('1x', '3'), newParamRow('days', '[oops')],
      steps: [
        { ...form.steps[0], name: 'class', retries: 'two' },
        { ...form.steps[1], name: 'class', notebook: '' }
      ]
    };
    const problems = checkForm(bad);
    expect(problems[FieldIds.param(bad.parameters[0].key)][0]).toMatch(
      /Parameter name/
    );
    expect(problems[FieldIds.param(bad.parameters[1].key)][0]).toMatch(/JSON/);
    expect(problems[FieldIds.step(bad.steps[0].key, 'name')][0]).toMatch(
      /keyword/
    );
    expect(problems[FieldIds.step(bad.steps[0].key, 'retries')]).toBeDefined();
    expect(problems[FieldIds.step(bad.steps[1].key, 'notebook')]).toBeDefined();
  });
});
