/**
 * Server errors as JupyterLab notifications, with the server's own message.
 */
import { Notification, showErrorMessage } from '@jupyterlab/apputils';

import { errorMessage, errorSummary } from '../api/errorText';
import { trans } from './i18n';

export { errorMessage, errorSummary };

/** JupyterLab cuts a notification's message at this many characters. */
const NOTIFICATION_LENGTH = 140;

/**
 * Shows a failed action as an error notification: "Could not run daily: days: give a whole
 * number". When the whole error does not fit, "Details" shows all of it.
 */
export function showError(error: unknown, doing?: string): void {
  const summary = errorSummary(error);
  const message = doing ? `${doing}: ${summary}` : summary;
  const full = errorMessage(error);
  const cut = message.length > NOTIFICATION_LENGTH || full.includes('\n');
  Notification.error(message, {
    autoClose: 10000,
    actions: cut
      ? [
          {
            label: trans.__('Details'),
            callback: () =>
              void showErrorMessage(doing ?? trans.__('Error'), full)
          }
        ]
      : []
  });
}
