/**
 * How an error reads: the whole text for dialogs and forms, one line for a notification.
 * Pure (JupyterLab's only part here is the translator): unit-tested.
 */
import { trans } from '../common/i18n';
import { OrchError } from './api';

/** The whole text of an error: the server's message and each field's problem. */
export function errorMessage(error: unknown): string {
  if (error instanceof OrchError) {
    const details = error.details
      .filter(d => !error.message.includes(d.message))
      .map(d => `${d.field}: ${d.message}`);
    return [error.message, ...details].join('\n');
  }
  return error instanceof Error ? error.message : String(error);
}

/** The error in one line: the first field's problem when the server named fields. */
export function errorSummary(error: unknown): string {
  if (error instanceof OrchError && error.details.length > 0) {
    const [first, ...rest] = error.details;
    const more = rest.length
      ? ` ${trans._n('(and %1 more)', '(and %1 more)', rest.length)}`
      : '';
    return `${first.field ? `${first.field}: ` : ''}${first.message}${more}`;
  }
  return errorMessage(error).split('\n')[0];
}

/** Messages the server gave for fields under `prefix` ("parameters.days" -> days). */
export function fieldErrors(
  error: unknown,
  prefix: string
): Record<string, string> {
  const errors: Record<string, string> = {};
  if (error instanceof OrchError) {
    for (const detail of error.details) {
      if (detail.field.startsWith(prefix)) {
        errors[detail.field.slice(prefix.length)] = detail.message;
      }
    }
  }
  return errors;
}

/** How the server words a `name_taken` 409, for an OrchError that does not carry its code. */
const NAME_TAKEN_MESSAGE = /^a pipeline named .+ is already registered from /;

/**
 * A registration refused because the pipeline's name is registered from another file (409
 * `name_taken`): sending it again with `replace: true` makes this file its file.
 */
export function isNameTaken(error: unknown): error is OrchError {
  if (!(error instanceof OrchError) || error.status !== 409) {
    return false;
  }
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string'
    ? code === 'name_taken'
    : NAME_TAKEN_MESSAGE.test(error.message);
}
