/**
 * The transport of `OrchClient` inside JupyterLab: the server's base URL, token and XSRF
 * handling come from `ServerConnection`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { OrchClient } from './api';

export function createClient(
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): OrchClient {
  return new OrchClient((path, init) =>
    ServerConnection.makeRequest(
      URLExt.join(settings.baseUrl, path),
      init,
      settings
    )
  );
}
