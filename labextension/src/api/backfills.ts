/**
 * Backfills in the REST API: a pipeline run once per slot of its schedule over a range of past
 * dates (jupyter_orch/backfills.py). Start one, or ask what it would make (`dry_run`), list
 * them, cancel one. Shapes and the calls only: the dialog and the progress are in backfill/.
 */
import { queryString } from './api';
import type { OrchClient } from './api';
import type { JSONObject } from './tokens';

/** What a backfill is doing or how it ended (stored strings: never rename). */
export type BackfillStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What POST /orch/pipelines/{name}/backfills asks for. */
export interface IBackfillRequest {
  /** A date (`2024-03-01`) or a time (`2024-03-01T02:00`) in the schedule's zone, included. */
  from: string;
  to: string;
  /** How many of its runs at once, 1 to 100. */
  max_parallel: number;
  parameters?: JSONObject;
  /** Run the slots a run already succeeded for too (they are skipped otherwise). */
  rerun_succeeded: boolean;
}

/** What a backfill would make (`dry_run`), nothing written. */
export interface IBackfillPreview {
  pipeline: string;
  version: number;
  from: string;
  to: string;
  /** The schedule's zone, which `from` and `to` are read in. */
  timezone: string;
  /** How many runs it would make. */
  runs: number;
  /** Slots left out because a run already succeeded for them. */
  skipped: number;
  /** ISO times (UTC) of its first and last slots; null when it makes no run. */
  first_slot: string | null;
  last_slot: string | null;
  max_parallel: number;
}

/** A backfill's runs by how they are doing. */
export interface IBackfillRuns {
  /** The runs it makes in all. */
  total: number;
  succeeded: number;
  /** Failed or timed out. */
  failed: number;
  cancelled: number;
  running: number;
  queued: number;
  /** Not ended yet: queued, running, or not queued yet. */
  left: number;
}

export interface IBackfill {
  id: string;
  pipeline: string;
  version: number;
  status: BackfillStatus;
  from: string;
  to: string;
  timezone: string;
  /** ISO times (UTC) of the range's first and last instants. */
  start: string;
  end: string;
  first_slot: string | null;
  last_slot: string | null;
  skipped: number;
  max_parallel: number;
  parameters: JSONObject;
  rerun_succeeded: boolean;
  created_by: string | null;
  created_at: string;
  ended_at: string | null;
  runs: IBackfillRuns;
}

/** Which backfills `listBackfills` asks for, newest first. */
export interface IBackfillQuery {
  pipeline?: string;
  status?: BackfillStatus;
  limit?: number;
}

/** The part of the REST client the backfill calls use. */
export type BackfillClient = Pick<OrchClient, 'request'>;

const seg = encodeURIComponent;

/** What the backfill would make; a 400 OrchError naming the field (`--to`) when it cannot. */
export function previewBackfill(
  client: BackfillClient,
  pipeline: string,
  request: IBackfillRequest
): Promise<IBackfillPreview> {
  return client.request<IBackfillPreview>(
    `pipelines/${seg(pipeline)}/backfills`,
    { method: 'POST', body: { ...request, dry_run: true } }
  );
}

/** Starts the backfill (its first runs are queued at once); 409 while one overlaps it. */
export function startBackfill(
  client: BackfillClient,
  pipeline: string,
  request: IBackfillRequest
): Promise<IBackfill> {
  return client.request<IBackfill>(`pipelines/${seg(pipeline)}/backfills`, {
    method: 'POST',
    body: request
  });
}

export async function listBackfills(
  client: BackfillClient,
  query: IBackfillQuery = {}
): Promise<IBackfill[]> {
  const data = await client.request<{ backfills: IBackfill[] }>(
    `backfills${queryString({ ...query })}`
  );
  return data.backfills;
}

export function getBackfill(
  client: BackfillClient,
  id: string
): Promise<IBackfill> {
  return client.request<IBackfill>(`backfills/${seg(id)}`);
}

/** Stops queueing its runs, drops the queued ones and stops the running ones. */
export function cancelBackfill(
  client: BackfillClient,
  id: string
): Promise<IBackfill> {
  return client.request<IBackfill>(`backfills/${seg(id)}/cancel`, {
    method: 'POST',
    body: {}
  });
}
