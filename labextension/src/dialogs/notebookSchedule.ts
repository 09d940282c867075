/**
 * What "Schedule this notebook..." asks the server for once its form is complete: the one-step
 * pipeline saved with its schedule (and a run with "Run now"), or, for "Once (run now)",
 * saved without a schedule and run. No widgets here.
 */
import { OrchClient } from '../api/api';
import type {
  INotebookPipeline,
  IRun,
  IScheduleNotebookRequest
} from '../api/tokens';
import type { IScheduleValue } from '../common/scheduleEditor';

export interface IScheduledNotebook {
  pipeline: INotebookPipeline;
  /** The run "Run now" or "Once" started. */
  run: IRun | null;
}

/**
 * Saves the notebook's pipeline with `schedule` (empty cron: none, "once", and a run starts
 * now); `runNow` also starts a run of a scheduled one. One request either way.
 */
export async function saveNotebookPipeline(
  client: OrchClient,
  request: Omit<IScheduleNotebookRequest, 'schedule' | 'run_now'>,
  schedule: IScheduleValue,
  runNow: boolean
): Promise<IScheduledNotebook> {
  const { cron, timezone } = schedule;
  const once = !cron.trim();
  const pipeline = await client.scheduleNotebook({
    ...request,
    schedule: once ? null : { cron, timezone },
    run_now: runNow || once
  });
  return { pipeline, run: pipeline.run ?? null };
}
