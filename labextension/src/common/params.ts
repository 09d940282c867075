/**
 * Typed parameter inputs: a run parameter's kind comes from its default (or the notebook's
 * parameters cell), and what the user types is read back as that kind, or refused with why.
 */
import type { INotebookParameter, JSONValue } from '../api/tokens';
import { trans } from './i18n';

export type ParamKind = 'int' | 'float' | 'bool' | 'str' | 'json';

/** The input kind for a default value. */
export function kindOf(value: JSONValue | undefined): ParamKind {
  if (typeof value === 'boolean') {
    return 'bool';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? 'int' : 'float';
  }
  if (typeof value === 'string') {
    return 'str';
  }
  if (value === null || value === undefined) {
    return 'str';
  }
  return 'json';
}

/** The input kind for a notebook's declared parameter. */
export function kindOfNotebookParameter(param: INotebookParameter): ParamKind {
  switch (param.inferred_type) {
    case 'int':
    case 'float':
    case 'bool':
    case 'str':
      return param.inferred_type;
    case 'list':
    case 'dict':
      return 'json';
    default:
      return kindOf(param.default);
  }
}

/** The text an input starts with for a value. */
export function toText(value: JSONValue | undefined, kind: ParamKind): string {
  if (value === undefined || value === null) {
    return '';
  }
  if (kind === 'json') {
    return JSON.stringify(value);
  }
  return String(value);
}

export type Parsed =
  { ok: true; value: JSONValue } | { ok: false; error: string };

/** Reads an input's text as its kind. */
export function parseValue(text: string, kind: ParamKind): Parsed {
  const trimmed = text.trim();
  switch (kind) {
    case 'int': {
      if (!/^[-+]?\d+$/.test(trimmed)) {
        return { ok: false, error: trans.__('give a whole number') };
      }
      return { ok: true, value: parseInt(trimmed, 10) };
    }
    case 'float': {
      const value = Number(trimmed);
      if (trimmed === '' || !isFinite(value)) {
        return { ok: false, error: trans.__('give a number') };
      }
      return { ok: true, value };
    }
    case 'bool': {
      if (trimmed === 'true' || trimmed === 'false') {
        return { ok: true, value: trimmed === 'true' };
      }
      return { ok: false, error: trans.__('give true or false') };
    }
    case 'json': {
      try {
        return { ok: true, value: JSON.parse(trimmed) as JSONValue };
      } catch {
        return {
          ok: false,
          error: trans.__('give a JSON value, e.g. ["a", "b"]')
        };
      }
    }
    default:
      return { ok: true, value: text };
  }
}

export interface IParamField {
  name: string;
  kind: ParamKind;
  text: string;
  /** The default as written, shown as a hint. */
  placeholder?: string;
  help?: string;
}

/**
 * The values to send for a form, or the fields whose text could not be read. A field still
 * equal to its default's text is sent too: what ran is then visible in the run.
 */
export function collectValues(
  fields: IParamField[]
):
  | { ok: true; values: Record<string, JSONValue> }
  | { ok: false; errors: Record<string, string> } {
  const values: Record<string, JSONValue> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const parsed = parseValue(field.text, field.kind);
    if (parsed.ok) {
      values[field.name] = parsed.value;
    } else {
      errors[field.name] = `${field.name}: ${parsed.error}`;
    }
  }
  return Object.keys(errors).length
    ? { ok: false, errors }
    : { ok: true, values };
}

/** Form fields for a pipeline's run parameters (name -> default). */
export function fieldsFromDefaults(defaults: {
  [key: string]: JSONValue;
}): IParamField[] {
  return Object.entries(defaults).map(([name, value]) => {
    const kind = kindOf(value);
    return { name, kind, text: toText(value, kind) };
  });
}
