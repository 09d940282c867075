/**
 * A webhook trigger in the builder: the variable that holds its secret, the URL another system
 * POSTs to, and a signed request to copy.
 */
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import * as React from 'react';

import { trans } from '../common/i18n';
import { TextField } from './builderFields';
import { webhookExample, webhookUrl } from './builderTriggersModel';

/** A variable's name, the same in every language. */
const SECRET_ENV_EXAMPLE = 'SALES_HOOK_SECRET';

/** The webhook's variable, its URL and a signed request to copy. */
export function WebhookFields(props: {
  id: string;
  value: string;
  problems: string[];
  onChange: (value: string) => void;
  pipeline: string;
}): JSX.Element {
  const url = props.pipeline
    ? webhookUrl(ServerConnection.makeSettings().baseUrl, props.pipeline)
    : '';
  const example = webhookExample(url, props.value);
  return (
    <>
      <TextField
        {...props}
        label={trans.__('Secret variable')}
        placeholder={SECRET_ENV_EXAMPLE}
        hint={trans.__(
          'The environment variable, where the server runs, that holds the secret (the secret itself never goes in the file); during a rotation it holds %1',
          'new,old'
        )}
      />
      {url ? (
        <>
          <TextField
            id={`${props.id}-url`}
            label={trans.__('Webhook URL')}
            value={url}
            readOnly
            problems={[]}
            hint={trans.__(
              'POST here after saving; no Jupyter token: each request is signed instead'
            )}
            onChange={() => undefined}
          />
          <div className="jp-OrchBuilder-field">
            <span className="jp-OrchTriggers-exampleHead">
              <span id={`${props.id}-example-label`}>
                {trans.__('Signed request')}
              </span>
              <button
                type="button"
                className="jp-mod-styled"
                onClick={() => {
                  Clipboard.copyToSystem(example);
                  Notification.success(trans.__('Copied the signed request'), {
                    autoClose: 3000
                  });
                }}
              >
                {trans.__('Copy')}
              </button>
            </span>
            <pre
              id={`${props.id}-example`}
              className="jp-OrchTriggers-example"
              aria-labelledby={`${props.id}-example-label`}
              tabIndex={0}
            >
              {example}
            </pre>
            <div className="jp-OrchBuilder-hint">
              {trans.__(
                "%1 is %2 and the hex HMAC-SHA256 of the timestamp, a dot and the raw body, keyed with the secret; the timestamp must be within %3 minutes of the server's clock and each delivery id is used once. The body's parameters become the run's.",
                'X-Orch-Signature',
                'sha256=',
                5
              )}
            </div>
          </div>
        </>
      ) : (
        <div className="jp-OrchBuilder-hint">
          {trans.__("Name the pipeline to see its webhook's URL.")}
        </div>
      )}
    </>
  );
}
