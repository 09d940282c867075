/**
 * The lineage graph in the REST API (GET /orch/lineage?pipeline=NAME): a pipeline's steps, the
 * datasets they read and write, and the other pipelines' steps that write what it reads or read
 * what it writes (jupyter_orch/lineage_views.py). Shapes and the call only: the view is in
 * lineage/.
 */
import type { OrchClient } from './api';

/** The run that last wrote a dataset (whatever the graph shows). */
export interface ILastWritten {
  pipeline: string;
  step: string;
  run_id: string;
  /** Null for a run made before runs had numbers. */
  run_number: number | null;
  /** ISO time the writing attempt ended; null when unknown. */
  at: string | null;
}

/** A step that recorded lineage: `step:<pipeline>/<step>`. */
export interface ILineageStep {
  id: string;
  kind: 'step';
  pipeline: string;
  step: string;
}

/**
 * A dataset: `dataset:<name>`, the name a table's (`warehouse.mart.daily`, the connection's
 * name first) or a file's (relative to the server's root, else absolute).
 */
export interface ILineageDataset {
  id: string;
  kind: 'dataset';
  name: string;
  last_written: ILastWritten | null;
}

export type LineageNode = ILineageStep | ILineageDataset;

/** A dataset a step reads (dataset -> step) or writes (step -> dataset). */
export interface ILineageEdge {
  from: string;
  to: string;
  kind: 'reads' | 'writes';
}

export interface ILineageGraph {
  nodes: LineageNode[];
  edges: ILineageEdge[];
}

/** The part of the REST client the lineage view uses. */
export type LineageClient = Pick<OrchClient, 'request'>;

/** The pipeline's lineage graph; a 404 OrchError for an unknown pipeline. */
export function pipelineLineage(
  client: LineageClient,
  pipeline: string
): Promise<ILineageGraph> {
  const query = new URLSearchParams({ pipeline }).toString();
  return client.request<ILineageGraph>(`lineage?${query}`);
}
