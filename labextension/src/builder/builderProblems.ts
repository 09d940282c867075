/**
 * Problems in the builder: the form's own checks, and the server's problems (field paths such
 * as `steps[1].needs[0]` or `parameters.days`) mapped to the form fields they name. Pure.
 */
import {
  IBuilderForm,
  identifierProblem,
  inferValue,
  IParamRow,
  pipelineNameProblem
} from './builderModel';
import { kindProblems } from './builderKinds';
import { notifyProblems } from './builderNotify';
import {
  triggerAt,
  TriggerPart,
  triggerProblems
} from './builderTriggersChecks';
import { trans } from '../common/i18n';
import type { IErrorDetail } from '../api/tokens';

/** The parts of a step that show problems: the server's field path after `steps[i].`. */
const STEP_PART_LIST = [
  'name',
  'notebook',
  'sql',
  'connection',
  'python',
  'export',
  'export.from',
  'export.to',
  'export.to.table',
  'export.to.connection',
  'export.to.if_exists',
  'export.to.key',
  'export.to.file',
  'needs',
  'if',
  'retries',
  'timeout',
  'parameters'
] as const;

export type StepPart = (typeof STEP_PART_LIST)[number];

/** Ids of the form's fields, which problems attach to. */
export namespace FieldIds {
  export const name = 'name';
  export const description = 'description';
  export const path = 'path';
  export const parameters = 'parameters';
  export const schedule = 'schedule';
  export const steps = 'steps';
  export const notify = 'notify';
  /** `on:` as a whole, and one trigger (a row) or one of its fields. */
  export const triggers = 'on';
  export const trigger = (key: string, part?: TriggerPart): string =>
    part ? `trigger:${key}:${part}` : `trigger:${key}`;
  /** One key of `notify:` (`on_failure`, `on_long_running`...). */
  export const notifyEvent = (key: string): string => `notify:${key}`;
  /** A run parameter row. */
  export const param = (row: string): string => `param:${row}`;
  /** A step as a whole (keys the form does not show), or one of its fields. */
  export const step = (key: string, part?: StepPart): string =>
    part ? `step:${key}:${part}` : `step:${key}`;
  /** A step's parameter row. */
  export const stepParam = (key: string, row: string): string =>
    `step:${key}:param:${row}`;
}

export interface IProblems {
  /** Messages by field id. */
  fields: Record<string, string[]>;
  /** Problems that name no field of the form (shown at the top). */
  general: IErrorDetail[];
}

export const NO_PROBLEMS: IProblems = { fields: {}, general: [] };

function add(
  fields: Record<string, string[]>,
  id: string,
  message: string
): void {
  const list = fields[id] ?? (fields[id] = []);
  if (!list.includes(message)) {
    list.push(message);
  }
}

function rowProblems(
  rows: IParamRow[],
  id: (row: string) => string,
  fields: Record<string, string[]>
): void {
  const seen = new Set<string>();
  for (const row of rows) {
    const name = row.name.trim();
    if (!name && !row.text.trim()) {
      continue; // an empty row is ignored
    }
    const problem = identifierProblem(name);
    if (problem) {
      add(fields, id(row.key), trans.__('Parameter name: %1', problem));
    } else if (seen.has(name)) {
      add(fields, id(row.key), trans.__('%1 is given twice', name));
    }
    seen.add(name);
    const value = inferValue(row.text);
    if (!value.ok) {
      add(fields, id(row.key), trans.__('Value: %1', value.error));
    }
  }
}

/** What the form can tell without the server. */
export function checkForm(form: IBuilderForm): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  const nameProblem = pipelineNameProblem(form.name);
  if (nameProblem) {
    add(fields, FieldIds.name, nameProblem);
  }
  if (!form.path.trim()) {
    add(
      fields,
      FieldIds.path,
      trans.__("Give the file's path, relative to the root folder")
    );
  } else if (!/\.ya?ml$/.test(form.path.trim())) {
    add(fields, FieldIds.path, trans.__('Give a file name ending in .yaml'));
  }
  rowProblems(form.parameters, FieldIds.param, fields);
  for (const [key, message] of notifyProblems(form.notify)) {
    add(fields, FieldIds.notifyEvent(key), message);
  }
  for (const [key, part, message] of triggerProblems(form.triggers)) {
    add(fields, FieldIds.trigger(key, part), message);
  }
  if (!form.steps.length) {
    add(fields, FieldIds.steps, trans.__('Add at least one step'));
  }
  const names = new Set<string>();
  for (const step of form.steps) {
    const name = step.name.trim();
    const problem = identifierProblem(name);
    if (problem) {
      add(
        fields,
        FieldIds.step(step.key, 'name'),
        trans.__('Step name: %1', problem)
      );
    } else if (names.has(name)) {
      add(
        fields,
        FieldIds.step(step.key, 'name'),
        trans.__('Another step is named %1', name)
      );
    }
    names.add(name);
    for (const [part, message] of kindProblems(step)) {
      add(fields, FieldIds.step(step.key, part as StepPart), message);
    }
    const retries = step.retries.trim();
    if (retries && !(/^\d+$/.test(retries) && Number(retries) <= 100)) {
      add(
        fields,
        FieldIds.step(step.key, 'retries'),
        trans.__('Give a whole number from %1 to %2', 0, 100)
      );
    }
    rowProblems(
      step.parameters,
      row => FieldIds.stepParam(step.key, row),
      fields
    );
  }
  return fields;
}

const STEP_PATH = /^steps\[(\d+)\](?:\.([A-Za-z_]+)(?:\[\d+\])?(?:\.(.+))?)?$/;
const STEP_PARTS: ReadonlySet<string> = new Set(STEP_PART_LIST);
/** `notify`, `notify.on_failure[0]`, `notify.on_long_running.after`: the key it names. */
const NOTIFY_PATH = /^notify(?:\.(on_[a-z_]+))?(?:[.[].*)?$/;

/**
 * The step part a field path after `steps[i].` names (`needs[0]` -> needs, `sql.file` -> sql,
 * `export.to.key[1]` -> export.to.key), or null for a key the form does not show.
 */
function stepPart(rest: string): StepPart | null {
  const path = rest.replace(/\[\d+\]/g, '');
  if (path === 'sql' || path.startsWith('sql.')) {
    return 'sql';
  }
  return STEP_PARTS.has(path) ? (path as StepPart) : null;
}

function rowId(
  rows: IParamRow[],
  name: string | undefined
): string | undefined {
  return name === undefined
    ? undefined
    : rows.find(r => r.name.trim() === name)?.key;
}

/**
 * The form field a server field path names, or null for none. `form` must be the form the
 * validated YAML came from (step indices are its order).
 */
export function fieldFor(form: IBuilderForm, field: string): string | null {
  if (field === 'name' || field === 'description' || field === 'path') {
    return field;
  }
  if (field === 'parameters') {
    return FieldIds.parameters;
  }
  if (field.startsWith('parameters.')) {
    const row = rowId(form.parameters, field.slice('parameters.'.length));
    return row ? FieldIds.param(row) : FieldIds.parameters;
  }
  if (field === 'schedule' || field.startsWith('schedule.')) {
    return FieldIds.schedule;
  }
  if (field === 'steps') {
    return FieldIds.steps;
  }
  const on = triggerAt(form.triggers, field);
  if (on !== null) {
    return on === 'on' ? FieldIds.triggers : FieldIds.trigger(on.key, on.part);
  }
  const notify = NOTIFY_PATH.exec(field);
  if (notify) {
    return notify[1] ? FieldIds.notifyEvent(notify[1]) : FieldIds.notify;
  }
  const match = STEP_PATH.exec(field);
  if (!match) {
    return null;
  }
  const step = form.steps[Number(match[1])];
  if (!step) {
    return FieldIds.steps;
  }
  const part = match[2];
  if (part === 'parameters' && match[3] !== undefined) {
    const row = rowId(step.parameters, match[3]);
    return row
      ? FieldIds.stepParam(step.key, row)
      : FieldIds.step(step.key, 'parameters');
  }
  const named =
    part === undefined ? null : stepPart(field.slice(field.indexOf(']') + 2));
  return FieldIds.step(step.key, named ?? undefined);
}

/** A step-level problem about a key the form does not show says which key. */
function messageFor(field: string, message: string, id: string): string {
  const bare = /^step:[^:]+$/.test(id);
  const key = STEP_PATH.exec(field)?.[2];
  return bare && key ? `${key}: ${message}` : message;
}

/** The server's problems by form field; the rest as general problems. */
export function mapProblems(
  form: IBuilderForm,
  details: IErrorDetail[]
): IProblems {
  const fields: Record<string, string[]> = {};
  const general: IErrorDetail[] = [];
  for (const detail of details) {
    const id = fieldFor(form, detail.field);
    if (id === null) {
      general.push(detail);
    } else {
      add(fields, id, messageFor(detail.field, detail.message, id));
    }
  }
  return { fields, general };
}

/**
 * A server error message without details that starts with a field (`path: ... exists`), as
 * that field's problem; the message as a general problem otherwise.
 */
export function problemsFromMessage(
  form: IBuilderForm,
  message: string
): IProblems {
  const match = /^([A-Za-z_][\w.[\]-]*): (.+)$/s.exec(message);
  if (match) {
    const mapped = mapProblems(form, [{ field: match[1], message: match[2] }]);
    if (!mapped.general.length) {
      return mapped;
    }
  }
  return { fields: {}, general: [{ field: '', message }] };
}

/**
 * The messages for each field: the form's own where it has some (they say the same as the
 * server's, in the form's words), the server's elsewhere.
 */
export function mergeProblems(
  own: Record<string, string[]>,
  server: IProblems
): IProblems {
  const fields: Record<string, string[]> = { ...server.fields };
  for (const [id, list] of Object.entries(own)) {
    fields[id] = list.slice();
  }
  return { fields, general: server.general };
}
