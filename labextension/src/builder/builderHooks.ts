/**
 * The pipeline builder's state and its talks with the server: loading a registered pipeline,
 * the connections query and export steps can use and the notification channels (each asked
 * once), validating the YAML the form would save (debounced), and saving it.
 */
import { Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import { OrchClient, OrchError } from '../api/api';
import { emptyForm, IBuilderForm } from './builderModel';
import {
  checkForm,
  IProblems,
  mapProblems,
  NO_PROBLEMS,
  problemsFromMessage
} from './builderProblems';
import { savedTriggers } from './builderTriggersModel';
import { formToYaml, yamlToForm } from './builderYaml';
import { useDebouncedRequest, useServerValue } from '../common/hooks';
import { trans } from '../common/i18n';
import { errorMessage, showError } from '../common/notify';
import { browserTimeZone } from '../common/scheduleEditor';
import { confirmReplace } from '../dialogs/confirm';
import { notReplacedMessage, registerOrReplace } from '../dialogs/conflicts';
import type { IChannel, IConnection, IPipeline } from '../api/tokens';

export type Validity =
  'unchecked' | 'checking' | 'valid' | 'invalid' | 'unknown';

/** The form of a new pipeline, or of a registered one once loaded. */
export function useLoadedForm(
  client: OrchClient,
  pipeline: string | undefined,
  cwd: string,
  readFile?: (path: string) => Promise<string>
): {
  form: IBuilderForm | null;
  setForm: React.Dispatch<React.SetStateAction<IBuilderForm | null>>;
  source: string | null;
  setSource: (source: string | null) => void;
  loadError: string | null;
} {
  const [form, setForm] = React.useState<IBuilderForm | null>(() =>
    pipeline ? null : emptyForm(cwd, browserTimeZone())
  );
  const [source, setSource] = React.useState<string | null>(null);
  const [loadError, setLoadError] = React.useState<string | null>(null);
  React.useEffect(() => {
    if (!pipeline) {
      return;
    }
    let current = true;
    const load = async () => {
      const detail = await client.getPipeline(pipeline);
      const version = await client.version(pipeline, detail.version);
      const path = detail.path ?? version.path;
      if (!path) {
        throw new Error(
          trans.__(
            "The file of %1 is outside the server's root folder; edit it there.",
            pipeline
          )
        );
      }
      // The file as it is now (hand edits since it was registered), when it still holds
      // this pipeline; else the text that was registered.
      let text = version.source;
      let loaded = null;
      if (readFile) {
        const onDisk = await readFile(path).catch(() => null);
        const fromDisk =
          onDisk !== null ? yamlToForm(onDisk, path, browserTimeZone()) : null;
        if (onDisk !== null && fromDisk && fromDisk.name === pipeline) {
          text = onDisk;
          loaded = fromDisk;
        }
      }
      loaded = loaded ?? yamlToForm(text, path, browserTimeZone());
      if (!loaded) {
        throw new Error(
          trans.__('%1 is not a YAML mapping; open it as text.', path)
        );
      }
      if (current) {
        setSource(text);
        setForm(loaded);
      }
    };
    load().catch(error => current && setLoadError(errorMessage(error)));
    return () => {
      current = false;
    };
  }, [client, pipeline, readFile]);
  return { form, setForm, source, setSource, loadError };
}

/** The connections the server defines (null until it answers), asked once per builder. */
export function useConnections(client: OrchClient): {
  connections: IConnection[] | null;
  problem: string | null;
} {
  const { value, problem } = useServerValue(
    () => client.connections(),
    [client]
  );
  return { connections: value, problem };
}

/** The notification channels the server defines (null until it answers), asked once. */
export function useChannels(client: OrchClient): {
  channels: IChannel[] | null;
  problem: string | null;
} {
  const { value, problem } = useServerValue(() => client.channels(), [client]);
  return { channels: value, problem };
}

/** The server's problems with the YAML, checked ~400 ms after the form last changed. */
export function useServerValidation(
  client: OrchClient,
  form: IBuilderForm | null,
  yaml: string,
  enabled: boolean
): {
  problems: IProblems;
  setProblems: (problems: IProblems) => void;
  validity: Validity;
} {
  const [problems, setProblems] = React.useState<IProblems>(NO_PROBLEMS);
  const [validity, setValidity] = React.useState<Validity>('unchecked');
  useDebouncedRequest(
    () => {
      if (!enabled || !form) {
        return null;
      }
      setValidity('checking');
      return {
        request: () => client.validate({ path: form.path.trim(), yaml }),
        onResult: result => {
          setProblems(mapProblems(form, result.problems));
          setValidity(result.valid ? 'valid' : 'invalid');
        },
        onError: error => {
          if (error instanceof OrchError && error.status === 400) {
            setProblems(
              error.details.length
                ? mapProblems(form, error.details)
                : problemsFromMessage(form, error.message)
            );
            setValidity('invalid');
          } else {
            setProblems({
              fields: {},
              general: [
                {
                  field: '',
                  message: trans.__('Could not check: %1', errorMessage(error))
                }
              ]
            });
            setValidity('unknown');
          }
        }
      };
    },
    [client, yaml, form?.path, enabled],
    400
  );
  return { problems, setProblems, validity };
}

export interface ISaveOutcome {
  pipeline: IPipeline | null;
  problems: IProblems;
  message: string | null;
}

/** Registers the YAML at the form's path; what the server said either way. */
export async function savePipeline(
  client: OrchClient,
  form: IBuilderForm,
  source: string | null
): Promise<ISaveOutcome> {
  if (Object.keys(checkForm(form)).length) {
    return {
      pipeline: null,
      problems: NO_PROBLEMS,
      message: trans.__('Fix the problems marked below, then save again.')
    };
  }
  const yaml = formToYaml(form, source);
  const path = form.path.trim();
  try {
    const pipeline = await registerOrReplace(
      client,
      { path, yaml },
      confirmReplace
    );
    if (!pipeline) {
      // The server wrote the file before it found the name taken
      return {
        pipeline: null,
        problems: NO_PROBLEMS,
        message: notReplacedMessage(form.name, path)
      };
    }
    Notification.success(
      trans.__(
        'Saved pipeline %1 (version %2) to %3',
        pipeline.name,
        pipeline.version,
        pipeline.path ?? form.path
      ),
      { autoClose: 5000 }
    );
    return { pipeline, problems: NO_PROBLEMS, message: null };
  } catch (error) {
    showError(error, trans.__('Could not save the pipeline'));
    const problems =
      error instanceof OrchError
        ? error.details.length
          ? mapProblems(form, error.details)
          : problemsFromMessage(form, error.message)
        : NO_PROBLEMS;
    const inline = Object.keys(problems.fields).length > 0;
    const message =
      error instanceof OrchError && inline
        ? trans.__('Not saved: %1. See the fields marked below.', error.message)
        : errorMessage(error);
    return { pipeline: null, problems, message };
  }
}

/** The form as saved: every step (and query trigger) now comes from the file at its position. */
export function savedForm(form: IBuilderForm): IBuilderForm {
  return {
    ...form,
    pathEdited: true,
    triggers: savedTriggers(form.triggers),
    steps: form.steps.map((step, index) => ({
      ...step,
      sourceIndex: index,
      nameEdited: true
    }))
  };
}
