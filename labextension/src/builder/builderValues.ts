/**
 * Parameter values in the pipeline builder as the text a user types: `7` is an int, `"7"` a
 * string, `[1, 2]` a list. Pure.
 */
import { trans } from '../common/i18n';
import { parseValue } from '../common/params';
import type { JSONValue } from '../api/tokens';

/**
 * Reads a typed value: `7` an int, `0.5` a float, `true` a bool, `"x"` or `x` a string,
 * `[..]`/`{..}` JSON, `{{ run.dir }}` a template string. Unparseable JSON is an error;
 * anything else is a string.
 */
export function inferValue(
  text: string
): { ok: true; value: JSONValue } | { ok: false; error: string } {
  const trimmed = text.trim();
  if (/^[-+]?\d+$/.test(trimmed)) {
    return parseValue(trimmed, 'int');
  }
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(trimmed)) {
    return parseValue(trimmed, 'float');
  }
  if (trimmed === 'true' || trimmed === 'false') {
    return parseValue(trimmed, 'bool');
  }
  if (trimmed === 'null') {
    return { ok: true, value: null };
  }
  if (trimmed.startsWith('{{')) {
    return { ok: true, value: text }; // a template such as {{ run.dir }}/x
  }
  if (/^["[{]/.test(trimmed)) {
    const parsed = parseValue(trimmed, 'json');
    return parsed.ok
      ? parsed
      : {
          ok: false,
          error: trans.__(
            'not valid JSON; to keep it as text, quote it: %1',
            JSON.stringify(text)
          )
        };
  }
  return { ok: true, value: text };
}

/** The value read from a row's text, or the text itself when it cannot be read. */
export function valueOf(text: string): JSONValue {
  const parsed = inferValue(text);
  return parsed.ok ? parsed.value : text;
}

/** The text a value is typed as, such that `inferValue` reads it back unchanged. */
export function valueText(value: JSONValue | undefined): string {
  if (value === undefined) {
    return '';
  }
  if (typeof value === 'string') {
    const back = inferValue(value);
    return back.ok && back.value === value ? value : JSON.stringify(value);
  }
  return JSON.stringify(value);
}

/** Deep equality of JSON values (key order matters, as it does in the file). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A short word for the type a row's text gives: int, float, bool, str, list, dict, null. */
export function typeWord(text: string): string | null {
  const parsed = inferValue(text);
  if (!parsed.ok) {
    return null;
  }
  const value = parsed.value;
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'list';
  }
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) && !/[.eE]/.test(text) ? 'int' : 'float';
    case 'boolean':
      return 'bool';
    case 'string':
      return 'str';
    default:
      return 'dict';
  }
}
