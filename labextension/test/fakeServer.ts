/**
 * A fake of the jupyter-orch REST API for unit tests: routes answered from canned data, every
 * request recorded. Named as a fake: the real server is exercised by tests/ui and tests/.
 */
import { Transport } from '../src/api/api';
import type { IRun, RunStatus } from '../src/api/tokens';
import { makeRun } from './fixtures';

export interface IRecordedRequest {
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, string>;
}

interface IAnswer {
  status: number;
  body?: unknown;
  text?: string;
}

/** Answers a request; a promise answers it late (to model a slow server). */
type Handler = (request: IRecordedRequest) => IAnswer | Promise<IAnswer>;

export class FakeServer {
  readonly requests: IRecordedRequest[] = [];
  private readonly routes: {
    method: string;
    path: RegExp;
    handler: Handler;
  }[] = [];

  on(method: string, path: RegExp, handler: Handler): this {
    this.routes.unshift({ method, path, handler });
    return this;
  }

  readonly transport: Transport = async (path, init) => {
    const request: IRecordedRequest = {
      method: init.method ?? 'GET',
      path,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
      headers: (init.headers ?? {}) as Record<string, string>
    };
    this.requests.push(request);
    const route = this.routes.find(
      r => r.method === request.method && r.path.test(path)
    );
    const answer = route
      ? await route.handler(request)
      : { status: 404, text: '<html>404: Not Found</html>' };
    const text =
      answer.text ??
      (answer.body === undefined ? '' : JSON.stringify(answer.body));
    return new Response(text || null, { status: answer.status });
  };
}

export function fakeRun(
  id: string,
  status: RunStatus,
  pipeline = 'daily'
): IRun {
  return makeRun({
    id,
    pipeline,
    version: 1,
    status,
    created_at: '2026-11-26T09:00:00+00:00',
    started_at: '2026-11-26T09:00:01+00:00'
  });
}
