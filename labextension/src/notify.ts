/**
 * Server errors as JupyterLab notifications, with the server's own message.
 */
import { Notification } from '@jupyterlab/apputils';

import { OrchError } from './api';

/** The text to show for an error: the server's message and its field details. */
export function errorMessage(error: unknown): string {
  if (error instanceof OrchError) {
    const details = error.details
      .filter(d => !error.message.includes(d.message))
      .map(d => `${d.field}: ${d.message}`);
    return [error.message, ...details].join('\n');
  }
  return error instanceof Error ? error.message : String(error);
}

/** Shows a failed action as an error notification: "Could not run daily: ...". */
export function showError(error: unknown, doing?: string): void {
  const message = errorMessage(error);
  Notification.error(doing ? `${doing}: ${message}` : message, {
    autoClose: 10000
  });
}
