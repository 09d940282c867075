/**
 * The errors of the REST API client: a request the server refused (`OrchError`, with the
 * server's message and field details), no server extension, a server that cannot serve for
 * now, no server at all; and the error a failed response stands for.
 */
import { trans } from '../common/i18n';
import type { IErrorDetail } from './tokens';

/** A request the server refused or could not serve, with what it said. */
export class OrchError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly details: IErrorDetail[] = []
  ) {
    super(message);
    this.name = 'OrchError';
  }

  /** The message for one field (`steps[1].notebook`), if the server named it. */
  detailFor(field: string): string | undefined {
    return this.details.find(d => d.field === field)?.message;
  }
}

/** The server answers, but without the jupyter-orch server extension. */
export class ServerExtensionMissingError extends OrchError {
  constructor() {
    super(
      trans.__(
        'The jupyter-orch server extension is not running on this Jupyter server. Install it in the environment that runs %1 (%2), check %3, and restart JupyterLab.',
        '`jupyter lab`',
        'pip install jupyter-orch',
        '`jupyter server extension list`'
      ),
      404
    );
    this.name = 'ServerExtensionMissingError';
  }
}

/**
 * The server is up but cannot serve orchestration for now (503): its store is unreachable,
 * and it retries by itself. The message is the server's reason.
 */
export class ServerUnavailableError extends OrchError {
  constructor(message: string) {
    super(message, 503);
    this.name = 'ServerUnavailableError';
  }
}

/** The server could not be reached at all. */
export class NetworkError extends OrchError {
  constructor(reason: string) {
    super(trans.__('Cannot reach the Jupyter server: %1', reason), 0);
    this.name = 'NetworkError';
  }
}

/** The error a failed response stands for. */
export function errorFrom(
  status: number,
  data: unknown,
  text: string
): OrchError {
  const body =
    data && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  const message = typeof body.error === 'string' ? body.error : undefined;
  if (status === 404 && message === undefined) {
    // Our own 404s always say what was not found; a bare one means no /orch routes at all.
    return new ServerExtensionMissingError();
  }
  const details = Array.isArray(body.details)
    ? (body.details as IErrorDetail[]).filter(
        d => d && typeof d.field === 'string' && typeof d.message === 'string'
      )
    : [];
  const fallback =
    text && text.length < 300 && !text.trimStart().startsWith('<')
      ? text
      : trans.__('The server answered %1', status);
  if (status === 503) {
    return new ServerUnavailableError(message ?? fallback);
  }
  return new OrchError(message ?? fallback, status, details);
}
