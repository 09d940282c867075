/**
 * The builder's fields for what a step runs, by kind: a notebook, a SQL query (text or a .sql
 * file, and its connection), a Python function (`file.py:function`) or an export (a file into
 * a table or another file). Defaults, the name a step gets from them, the form's own checks
 * and the DAG preview's second line. Pure; `builderKindYaml.ts` reads and writes them.
 */
import { trans } from '../common/i18n';
import type { IConnection, JSONObject, StepKind } from '../api/tokens';

export interface IQueryForm {
  /** Whether the SQL is written in the step (`sql: text`) or read from `sql: {file: ...}`. */
  source: 'text' | 'file';
  text: string;
  /** Relative to the pipeline file's folder. */
  file: string;
  /** A connection name, `${ENV}` or a URL without a password. */
  connection: string;
}

export type IfExists = 'append' | 'replace' | 'fail';

export const IF_EXISTS: readonly IfExists[] = ['append', 'replace', 'fail'];

export interface IExportForm {
  /** The .csv, .parquet or .jsonl file exported, usually a template. */
  from: string;
  /**
   * `notify`: a message to notification channels (`to: {notify, subject}`, `message`,
   * `attach`), which the form keeps as the file writes it.
   */
  target: 'table' | 'file' | 'notify';
  table: string;
  connection: string;
  /** Empty: not set (the server appends). */
  ifExists: IfExists | '';
  /** Key columns, comma separated (an upsert); empty for none. */
  key: string;
  /** The file written (target `file`). */
  file: string;
  /** Target `notify`: the whole `export:` as the file gives it, written back as it is. */
  message?: JSONObject;
}

/** The fields of every kind a step can hold (only its kind's are written). */
export interface IKindFields {
  kind: StepKind;
  /** As written in the file: relative to the pipeline file's folder. */
  notebook: string;
  query: IQueryForm;
  /** `FILE.py:FUNCTION` or `package.module:function`. */
  python: string;
  export: IExportForm;
}

export function emptyQuery(): IQueryForm {
  return { source: 'text', text: '', file: '', connection: '' };
}

export function emptyExport(): IExportForm {
  return {
    from: '',
    target: 'table',
    table: '',
    connection: '',
    ifExists: '',
    key: '',
    file: ''
  };
}

/** The kind fields of a new step of `kind`. */
export function emptyKindFields(kind: StepKind = 'notebook'): IKindFields {
  return {
    kind,
    notebook: '',
    query: emptyQuery(),
    python: '',
    export: emptyExport()
  };
}

/** `a, b ,,c` -> `['a', 'b', 'c']`. */
export function keyColumns(text: string): string[] {
  return text
    .split(',')
    .map(part => part.trim())
    .filter(Boolean);
}

const PYTHON_REF = /^([^:]+?):([A-Za-z_][A-Za-z0-9_]*)$/;
const TEMPLATE = /\{\{|\{%/;

/** A file name without its folder. */
function baseName(path: string): string {
  return path.split('/').pop() ?? path;
}

/**
 * What a step not named by the user is named after, or '' for nothing yet: its notebook, its
 * .sql file, its function, or the table or file it exports to (`load_<table>`, `save_<file>`).
 * `defaultStepName` makes a name of it.
 */
export function nameSource(step: IKindFields): string {
  switch (step.kind) {
    case 'notebook':
      return step.notebook.trim();
    case 'query':
      return step.query.source === 'file' ? step.query.file.trim() : '';
    case 'function':
      return PYTHON_REF.exec(step.python.trim())?.[2] ?? '';
    case 'export': {
      const target = step.export;
      if (target.target === 'notify') {
        return '';
      }
      if (target.target === 'table') {
        const table = target.table.trim().replace(/\./g, '_');
        return table ? `load_${table}` : '';
      }
      const file = target.file.trim();
      return file && !TEMPLATE.test(baseName(file))
        ? `save_${baseName(file)}`
        : '';
    }
  }
}

/**
 * The paths of a step that are relative to the pipeline file's folder, rewritten by `move`
 * (the file moved): the notebook, the .sql file and a function's .py file.
 */
export function movePaths(
  step: IKindFields,
  move: (path: string) => string
): Partial<IKindFields> {
  const movable = (path: string) =>
    path.trim() !== '' && !TEMPLATE.test(path) && !path.startsWith('/');
  const change: Partial<IKindFields> = {};
  if (movable(step.notebook)) {
    change.notebook = move(step.notebook);
  }
  if (movable(step.query.file)) {
    change.query = { ...step.query, file: move(step.query.file) };
  }
  const ref = PYTHON_REF.exec(step.python.trim());
  if (ref && ref[1].endsWith('.py') && movable(ref[1])) {
    change.python = `${move(ref[1])}:${ref[2]}`;
  }
  return change;
}

/** The DAG preview's second line for a step. */
export function kindDetail(step: IKindFields): string {
  switch (step.kind) {
    case 'notebook':
      return step.notebook || trans.__('no notebook yet');
    case 'query': {
      const connection = step.query.connection.trim();
      return connection
        ? trans.__('SQL on %1', connection)
        : trans.__('SQL, no connection yet');
    }
    case 'function':
      return step.python.trim() || trans.__('no function yet');
    case 'export': {
      if (step.export.target === 'notify') {
        return trans.__('a message to channels');
      }
      const to =
        step.export.target === 'table'
          ? step.export.table.trim()
          : baseName(step.export.file.trim());
      return to ? trans.__('to %1', to) : trans.__('no target yet');
    }
  }
}

/** A problem of a kind field: the part of the step it belongs to and the message. */
export type KindProblem = [part: string, message: string];

/** What the form can tell about a step's kind fields without the server. */
export function kindProblems(step: IKindFields): KindProblem[] {
  const found: KindProblem[] = [];
  switch (step.kind) {
    case 'notebook':
      if (!step.notebook.trim()) {
        found.push(['notebook', trans.__('Choose a notebook')]);
      }
      break;
    case 'query':
      if (step.query.source === 'text' && !step.query.text.trim()) {
        found.push(['sql', trans.__('Write the SQL')]);
      }
      if (step.query.source === 'file' && !step.query.file.trim()) {
        found.push(['sql', trans.__('Give the .sql file')]);
      }
      if (!step.query.connection.trim()) {
        found.push(['connection', trans.__('Choose a connection')]);
      }
      break;
    case 'function':
      if (!step.python.trim()) {
        found.push([
          'python',
          trans.__('Give the function, e.g. %1', 'transforms.py:per_day')
        ]);
      } else if (!PYTHON_REF.test(step.python.trim())) {
        found.push([
          'python',
          trans.__(
            'Write FILE.py:FUNCTION (a file beside the pipeline) or package.module:function'
          )
        ]);
      }
      break;
    case 'export':
      found.push(...exportProblems(step.export));
      break;
  }
  return found;
}

function exportProblems(form: IExportForm): KindProblem[] {
  const found: KindProblem[] = [];
  if (form.target === 'notify') {
    return found; // as written in the file: the server checks it
  }
  if (!form.from.trim()) {
    found.push([
      'export.from',
      trans.__(
        'Give the file to export (.csv, .parquet or .jsonl), e.g. %1',
        '{{ steps.load.outputs.path }}'
      )
    ]);
  }
  if (form.target === 'file') {
    if (!form.file.trim()) {
      found.push(['export.to.file', trans.__('Give the file to write')]);
    }
    return found;
  }
  if (!form.table.trim()) {
    found.push(['export.to.table', trans.__('Give the table')]);
  }
  if (!form.connection.trim()) {
    found.push(['export.to.connection', trans.__('Choose a connection')]);
  }
  if (keyColumns(form.key).length && form.ifExists === 'replace') {
    found.push([
      'export.to.key',
      trans.__(
        'Key columns update rows in place; they do not go with "%1"',
        'replace'
      )
    ]);
  }
  return found;
}

/** "sqlite, /data/w.sqlite" or "postgresql, db.example.com:5432/test". */
export function describeConnection(connection: IConnection): string {
  if (connection.problem) {
    return trans.__('cannot be used: %1', connection.problem);
  }
  const where = [
    connection.host ?? '',
    connection.port ? `:${connection.port}` : '',
    connection.host && connection.database ? '/' : '',
    connection.database ?? ''
  ].join('');
  return [connection.dialect, where].filter(Boolean).join(', ');
}
