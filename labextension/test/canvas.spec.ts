/**
 * The builder's canvas to the form and the YAML: connecting, disconnecting, deleting and
 * dropping notebooks edit the form, and `formToYaml` writes what the canvas shows.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { emptyForm, IBuilderForm, setName } from '../src/builder/builderModel';
import { formToYaml } from '../src/builder/builderYaml';
import {
  canvasEdges,
  canvasSteps,
  layoutPositions,
  shortFolder,
  StepNode,
  syncNodes
} from '../src/canvas/canvasGraph';
import {
  addNotebooks,
  addStepOfKind,
  chainAfter,
  connect,
  disconnect,
  droppedProblem,
  removeSteps
} from '../src/canvas/canvasModel';
import { loadForm, stepNamed } from './builderForms';

/** A new pipeline `daily` in `reports/` (its file reports/daily.pipeline.yaml). */
function newPipeline(): IBuilderForm {
  return setName(emptyForm('reports', 'UTC'), 'daily', 'reports');
}

/** The steps of the YAML the form writes: name, notebook or kind, needs. */
function written(form: IBuilderForm): Record<string, unknown>[] {
  return parse(formToYaml(form)).steps;
}

/** The form with these notebooks dropped on an empty spot, nothing selected. */
function dropped(form: IBuilderForm, ...paths: string[]): IBuilderForm {
  return addNotebooks(form, paths, null).form;
}

function key(form: IBuilderForm, name: string): string {
  return stepNamed(form, name).key;
}

describe('dropping notebooks', () => {
  it('chains two notebooks dropped one after the other', () => {
    let form = dropped(newPipeline(), 'reports/load.ipynb');
    form = dropped(form, 'reports/report.ipynb');
    expect(written(form)).toEqual([
      { name: 'load', notebook: 'load.ipynb' },
      { name: 'report', notebook: 'report.ipynb', needs: ['load'] }
    ]);
  });

  it('chains several notebooks dropped (or picked) at once in their order', () => {
    const { form, added } = addNotebooks(
      newPipeline(),
      ['reports/a.ipynb', 'data/b.ipynb', 'reports/c.ipynb'],
      null
    );
    expect(added).toHaveLength(3);
    expect(added).toEqual(form.steps.map(s => s.key));
    expect(written(form)).toEqual([
      { name: 'a', notebook: 'a.ipynb' },
      { name: 'b', notebook: '../data/b.ipynb', needs: ['a'] },
      { name: 'c', notebook: 'c.ipynb', needs: ['b'] }
    ]);
  });

  it('chains after the node it was dropped on (or the selected one), else the last', () => {
    let form = dropped(
      newPipeline(),
      'reports/load.ipynb',
      'reports/mid.ipynb'
    );
    form = addNotebooks(form, ['reports/side.ipynb'], key(form, 'load')).form;
    expect(stepNamed(form, 'side').needs).toEqual([key(form, 'load')]);
    // A target that is no step (a node just deleted): after the last step
    form = addNotebooks(form, ['reports/end.ipynb'], 'gone').form;
    expect(stepNamed(form, 'end').needs).toEqual([key(form, 'side')]);
    expect(chainAfter(newPipeline(), null)).toBeNull();
  });

  it('gives each dropped copy of a notebook a name of its own', () => {
    const form = dropped(newPipeline(), 'reports/load.ipynb', 'x/load.ipynb');
    expect(form.steps.map(s => s.name)).toEqual(['load', 'load_2']);
  });

  it('leaves out what is no notebook, and says so', () => {
    const paths = ['reports/notes.md', 'reports/load.ipynb', 'reports/data'];
    const { form, added } = addNotebooks(newPipeline(), paths, null);
    expect(added).toHaveLength(1);
    expect(form.steps.map(s => s.name)).toEqual(['load']);
    expect(droppedProblem(paths)).toContain('left out: notes.md, data');
    expect(droppedProblem(['a/B.IPYNB'])).toBeNull();
    expect(addNotebooks(newPipeline(), ['x.txt'], null).added).toEqual([]);
  });

  it('adds a step of another kind from the palette after the last one', () => {
    let form = dropped(newPipeline(), 'reports/load.ipynb');
    form = addStepOfKind(form, 'query', null).form;
    const [, query] = form.steps;
    expect(query.kind).toBe('query');
    expect(query.needs).toEqual([key(form, 'load')]);
    expect(
      addStepOfKind(newPipeline(), 'export', null).form.steps[0].needs
    ).toEqual([]);
  });
});

describe('connecting steps', () => {
  const two = () =>
    dropped(newPipeline(), 'reports/load.ipynb', 'reports/report.ipynb');

  it('adds the source to the target’s needs, once', () => {
    let form = addNotebooks(newPipeline(), ['reports/load.ipynb'], null).form;
    form = addNotebooks(form, ['reports/other.ipynb'], null).form;
    form = disconnect(form, key(form, 'load'), key(form, 'other'));
    expect(written(form)[1]).toEqual({
      name: 'other',
      notebook: 'other.ipynb'
    });
    const outcome = connect(form, key(form, 'load'), key(form, 'other'));
    expect(outcome.problem).toBeNull();
    expect(written(outcome.form)[1].needs).toEqual(['load']);
    const again = connect(outcome.form, key(form, 'load'), key(form, 'other'));
    expect(again.problem).toBeNull();
    expect(stepNamed(again.form, 'other').needs).toHaveLength(1);
  });

  it('refuses a cycle with a message naming both steps', () => {
    const form = two();
    const outcome = connect(form, key(form, 'report'), key(form, 'load'));
    expect(outcome.form).toBe(form);
    expect(outcome.problem).toBe(
      'Not connected: report already runs after load, so load needing report would make a cycle.'
    );
    let longer = dropped(form, 'reports/send.ipynb');
    const cycle = connect(longer, key(longer, 'send'), key(longer, 'load'));
    expect(cycle.problem).toContain('cycle');
    longer = cycle.form;
    expect(stepNamed(longer, 'load').needs).toEqual([]);
    expect(connect(form, key(form, 'load'), key(form, 'load')).problem).toBe(
      'A step cannot need itself.'
    );
  });

  it('removes a need when its edge is deleted', () => {
    const form = two();
    const cut = disconnect(form, key(form, 'load'), key(form, 'report'));
    expect(written(cut)).toEqual([
      { name: 'load', notebook: 'load.ipynb' },
      { name: 'report', notebook: 'report.ipynb' }
    ]);
  });

  it('removes deleted steps from the file and from the needs of the others', () => {
    const form = dropped(
      newPipeline(),
      'reports/load.ipynb',
      'reports/mid.ipynb',
      'reports/end.ipynb'
    );
    const left = removeSteps(form, [key(form, 'mid')]);
    expect(written(left)).toEqual([
      { name: 'load', notebook: 'load.ipynb' },
      { name: 'end', notebook: 'end.ipynb' }
    ]);
  });

  it('keeps what the form does not manage when editing a loaded file', () => {
    const form = loadForm();
    const before = formToYaml(form, null);
    const [first, second] = form.steps;
    const edited = disconnect(
      connect(form, first.key, second.key).form,
      first.key,
      second.key
    );
    expect(formToYaml(edited, null)).toBe(before);
  });
});

describe('what the canvas draws', () => {
  it('draws an edge per need between steps', () => {
    const form = dropped(
      newPipeline(),
      'reports/load.ipynb',
      'reports/report.ipynb'
    );
    expect(canvasEdges(form)).toEqual([
      {
        id: `${key(form, 'load')}->${key(form, 'report')}`,
        source: key(form, 'load'),
        target: key(form, 'report'),
        ariaLabel: 'report needs load'
      }
    ]);
  });

  it('shows each notebook’s file name, and its own folder', () => {
    const form = dropped(
      newPipeline(),
      'reports/2026/q1/sales/load.ipynb',
      'reports/2026/q2/sales/load.ipynb',
      'top.ipynb'
    );
    const nodes = [...canvasSteps(form).values()];
    expect(nodes.map(n => n.file)).toEqual([
      'load.ipynb',
      'load.ipynb',
      'top.ipynb'
    ]);
    expect(nodes.map(n => n.folder)).toEqual([
      'reports/2026/q1/sales/',
      'reports/2026/q2/sales/',
      '/'
    ]);
    expect(nodes[1].title).toBe(
      'load_2 (Notebook): reports/2026/q2/sales/load.ipynb'
    );
    // The end, where folders differ, is kept
    expect(shortFolder('a/very/long/folder/name/that/goes/on/q1')).toBe(
      '…older/name/that/goes/on/q1/'
    );
  });

  it('describes other kinds by what they run', () => {
    const form = addStepOfKind(newPipeline(), 'query', null).form;
    const [node] = canvasSteps(form).values();
    expect(node).toMatchObject({ kind: 'query', folder: null });
    expect(node.file).toBe('SQL, no connection yet');
  });

  it('places nodes with dagre, left to right, and keeps the ones the user moved', () => {
    const form = dropped(
      newPipeline(),
      'reports/load.ipynb',
      'reports/report.ipynb'
    );
    const [load, report] = form.steps.map(s => s.key);
    const positions = layoutPositions(form);
    expect(positions.get(report)!.x).toBeGreaterThan(positions.get(load)!.x);
    let nodes: StepNode[] = syncNodes(
      [],
      canvasSteps(form),
      positions,
      new Set()
    );
    expect(nodes.map(n => n.id)).toEqual([load, report]);
    nodes = nodes.map(n =>
      n.id === load ? { ...n, position: { x: 500, y: 300 }, selected: true } : n
    );
    const more = dropped(form, 'reports/send.ipynb');
    const synced = syncNodes(
      nodes,
      canvasSteps(more),
      layoutPositions(more),
      new Set([load])
    );
    expect(synced[0]).toMatchObject({
      position: { x: 500, y: 300 },
      selected: true
    });
    expect(synced[1].position).toEqual(layoutPositions(more).get(report));
    expect(synced[2].domAttributes).toMatchObject({ 'data-step': 'send' });
  });
});
