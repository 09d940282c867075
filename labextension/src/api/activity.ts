/**
 * The activity log in the REST API (GET /orch/activity): who did what, when and from where,
 * newest first, a page at a time (jupyter_orch/activity.py). Shapes and the call only: the view
 * is in activity/.
 */
import type { OrchClient } from './api';

/** Where an action came from. */
export type ActivityOrigin =
  'cli' | 'api' | 'lab' | 'scheduler' | 'webhook' | 'unknown';

/** One recorded action. */
export interface IActivityEntry {
  id: number | string;
  /** ISO time. */
  at: string;
  /** `alice`, `token:1a2b3c4d`, an OS user, `scheduler`, `webhook:<delivery>`; null: unknown. */
  actor: string | null;
  origin: ActivityOrigin | string;
  /** The client's address (REST requests); null otherwise. */
  address: string | null;
  /** `register`, `edit`, `pause`, `rollback`, `run`, `replay`, ... */
  action: string;
  pipeline: string | null;
  run_id: string | null;
  /** What else the action says: `{version, summary}`, `{of}`, `{to, version}`, ... */
  detail: Record<string, unknown>;
}

export interface IActivityPage {
  entries: IActivityEntry[];
  /** The cursor of the next (older) page; null on the last. */
  next_cursor: string | null;
}

/** Which entries to ask for; empty fields are left out. */
export interface IActivityQuery {
  pipeline?: string;
  /** Exactly an entry's actor. */
  actor?: string;
  /** `24h`, `7d` or an ISO time. */
  since?: string;
  limit?: number;
  cursor?: string | null;
}

/** The part of the REST client the activity view uses. */
export type ActivityClient = Pick<OrchClient, 'request'>;

/** `activity?pipeline=...`: the route with the query's non-empty fields. */
export function activityPath(query: IActivityQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    const text = value === undefined || value === null ? '' : String(value);
    if (text.trim()) {
      params.set(key, text.trim());
    }
  }
  const text = params.toString();
  return text ? `activity?${text}` : 'activity';
}

/** One page of entries, newest first; a 400 OrchError for a bad filter. */
export function listActivity(
  client: ActivityClient,
  query: IActivityQuery
): Promise<IActivityPage> {
  return client.request<IActivityPage>(activityPath(query));
}
