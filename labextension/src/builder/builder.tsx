/**
 * The pipeline builder in the main area: name, run parameters, schedule and steps in a form on
 * the left, the canvas (canvas/) on the right; both edit the same form. The server validates
 * the YAML the form would save as the user types; Save writes the file and registers it, Save
 * and run then starts a run.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { OrchClient } from '../api/api';
import { FieldProblems } from './builderFields';
import {
  savedForm,
  savePipeline,
  useChannels,
  useConnections,
  useLoadedForm,
  useServerValidation
} from './builderHooks';
import { AddStepBar, BuilderHeader, ProblemList } from './builderLayout';
import { NotifyFields } from './builderNotifyFields';
import { PipelineFields } from './builderPipelineFields';
import {
  IBuilderForm,
  IStepForm,
  moveStep,
  notebookFromRoot,
  relativePath,
  dirname,
  removeStep,
  setNotebook,
  setStepFields
} from './builderModel';
import {
  checkForm,
  FieldIds,
  IProblems,
  mergeProblems
} from './builderProblems';
import { StepCard } from './builderSteps';
import { TriggerFields } from './builderTriggers';
import { formToYaml } from './builderYaml';
import { PipelineCanvas } from '../canvas/canvas';
import {
  addNotebooks,
  addStepOfKind,
  IAddedSteps
} from '../canvas/canvasModel';
import { trans } from '../common/i18n';
import { ScheduleEditor } from '../common/scheduleEditor';
import type { IPipeline } from '../api/tokens';

export interface IBuilderOptions {
  client: OrchClient;
  /** Edit this registered pipeline; a new one when absent. */
  pipeline?: string;
  /** The folder a new pipeline's file goes in (the file browser's folder), relative to root. */
  cwd: string;
  /**
   * Lets the user pick notebooks (one, or `several`) in a file dialog, opened in the folder it
   * was last left in, else in `folder`; their paths relative to root (none: cancelled).
   */
  pickNotebooks: (folder: string, several: boolean) => Promise<string[]>;
  /** Starts a run of a saved pipeline and shows it (Save and run). */
  runPipeline?: (name: string) => Promise<void>;
  /** After Save registered the pipeline. */
  onSaved: (pipeline: IPipeline) => void;
  /** Opens a file (the YAML) in JupyterLab's editor. */
  openFile: (path: string) => void;
  /** Reads a file's text (relative to root): an edit starts from the file as it is now. */
  readFile?: (path: string) => Promise<string>;
}

let instances = 0;

export class PipelineBuilderWidget extends ReactWidget {
  constructor(readonly options: IBuilderOptions) {
    super();
    instances += 1;
    this._idPrefix = `jp-orch-builder-${instances}`;
    // New builders are numbered: a saved one keeps its id while another one is opened
    this.id = options.pipeline
      ? `jp-orch-builder-${options.pipeline}`
      : `jp-orch-builder-new-${instances}`;
    this.title.label = options.pipeline
      ? trans.__('Edit %1', options.pipeline)
      : trans.__('New pipeline');
    this.title.closable = true;
    this.addClass('jp-OrchBuilder');
  }

  protected render(): JSX.Element {
    return (
      <PipelineBuilder
        options={this.options}
        idPrefix={this._idPrefix}
        onSaved={pipeline => {
          this._saved = pipeline.name;
          this.title.label = trans.__('Edit %1', pipeline.name);
          this.options.onSaved(pipeline);
        }}
      />
    );
  }

  /** The pipeline edited here: the one opened, or the one a new builder saved. */
  get pipelineName(): string | undefined {
    return this._saved ?? this.options.pipeline;
  }

  private readonly _idPrefix: string;
  private _saved: string | undefined;
}

interface IBuilderProps {
  options: IBuilderOptions;
  idPrefix: string;
  onSaved: (pipeline: IPipeline) => void;
}

function PipelineBuilder(props: IBuilderProps): JSX.Element {
  const { options, idPrefix } = props;
  const { client, cwd } = options;
  const { form, setForm, source, setSource, loadError } = useLoadedForm(
    client,
    options.pipeline,
    cwd,
    options.readFile
  );
  const [isNew, setIsNew] = React.useState(!options.pipeline);
  const [dirty, setDirty] = React.useState(false);
  const [submitted, setSubmitted] = React.useState(!!options.pipeline);
  const [touched, setTouched] = React.useState<ReadonlySet<string>>(new Set());
  const [saving, setSaving] = React.useState(false);
  const [saveMessage, setSaveMessage] = React.useState<string | null>(null);
  /** The key of the step selected on the canvas. */
  const [selected, setSelected] = React.useState<string | null>(null);
  const connections = useConnections(client);
  const channels = useChannels(client);
  const yaml = React.useMemo(
    () => (form ? formToYaml(form, source) : ''),
    [form, source]
  );
  const server = useServerValidation(client, form, yaml, !isNew || dirty);
  const own = React.useMemo(() => (form ? checkForm(form) : {}), [form]);
  const all: IProblems = React.useMemo(
    () => mergeProblems(own, server.problems),
    [own, server]
  );

  if (loadError) {
    return (
      <div className="jp-OrchBuilder-loadError jp-OrchField-error">
        {loadError}
      </div>
    );
  }
  if (!form) {
    return (
      <div className="jp-OrchBuilder-loading">
        {trans.__('Loading %1…', options.pipeline)}
      </div>
    );
  }

  const shown = (id: string): boolean =>
    submitted || [...touched].some(t => id === t || id.startsWith(`${t}:`));
  const problems = (id: string): string[] =>
    shown(id) ? (all.fields[id] ?? []) : [];
  const edit = (
    change: (f: IBuilderForm) => IBuilderForm,
    ...ids: string[]
  ) => {
    setForm(f => (f ? change(f) : f));
    setDirty(true);
    setSaveMessage(null);
    if (ids.length) {
      setTouched(t => new Set([...t, ...ids]));
    }
  };
  const editStep = (key: string, change: Partial<IStepForm>) =>
    edit(
      f => ({ ...f, steps: setStepFields(f, key, change) }),
      FieldIds.step(key)
    );
  // New steps (canvasModel's rule: after the selected step, else the last) become the selection
  const added = (outcome: IAddedSteps, check: boolean) => {
    if (outcome.added.length) {
      edit(
        () => outcome.form,
        ...(check ? outcome.added.map(key => FieldIds.step(key)) : [])
      );
      setSelected(outcome.added[outcome.added.length - 1]);
    }
  };
  const browse = async (key?: string) => {
    const dir = dirname(form.path);
    const picked = await options.pickNotebooks(dir, key === undefined);
    if (key === undefined) {
      added(addNotebooks(form, picked, selected), true);
    } else if (picked.length) {
      const notebook = relativePath(dir, picked[0]);
      edit(
        f => ({ ...f, steps: setNotebook(f, key, notebook) }),
        FieldIds.step(key)
      );
    }
  };
  const save = async (): Promise<IPipeline | null> => {
    setSubmitted(true);
    setSaving(true);
    const outcome = await savePipeline(client, form, source);
    setSaving(false);
    setSaveMessage(outcome.message);
    server.setProblems(outcome.problems);
    if (outcome.pipeline) {
      setSource(formToYaml(form, source));
      setForm(savedForm(form));
      setIsNew(false);
      setDirty(false);
      props.onSaved(outcome.pipeline);
    }
    return outcome.pipeline;
  };
  const run = options.runPipeline;
  const id = (name: string) => `${idPrefix}-${name}`;
  const card = (key: string) =>
    document.getElementById(`${id('step')}-${key}-name`);

  return (
    <div className="jp-OrchBuilder-body">
      <BuilderHeader
        title={
          isNew ? trans.__('New pipeline') : trans.__('Edit %1', form.name)
        }
        dirty={dirty}
        validity={server.validity}
        saving={saving}
        yamlDisabled={
          isNew ? trans.__('Save first: the file does not exist yet') : null
        }
        path={form.path}
        onSave={() => void save()}
        onSaveAndRun={
          run && (() => void save().then(saved => saved && run(saved.name)))
        }
        onEditYaml={() => options.openFile(form.path.trim())}
      />
      <ProblemList
        message={saveMessage}
        problems={submitted || dirty ? all.general : []}
      />
      <div className="jp-OrchBuilder-columns">
        <div className="jp-OrchBuilder-form">
          <PipelineFields {...{ form, isNew, cwd, problems, edit }} id={id} />
          <section className="jp-OrchBuilder-section">
            <h3 className="jp-OrchBuilder-heading">
              {trans.__('Schedule and triggers')}
            </h3>
            <ScheduleEditor
              client={client}
              idPrefix={id('schedule')}
              allowNone
              value={form.schedule}
              error={problems(FieldIds.schedule).join('\n') || undefined}
              onChange={schedule =>
                edit(f => ({ ...f, schedule }), FieldIds.schedule)
              }
            />
            <TriggerFields
              {...{ client, form, connections, problems, edit }}
              idPrefix={id('trigger')}
            />
          </section>
          <NotifyFields
            idPrefix={id('notify')}
            value={form.notify}
            choices={channels}
            problems={problems}
            onChange={notify => edit(f => ({ ...f, notify }), FieldIds.notify)}
          />
          <section className="jp-OrchBuilder-section">
            <h3 className="jp-OrchBuilder-heading">{trans.__('Steps')}</h3>
            <FieldProblems
              id={id('steps-problems')}
              messages={problems(FieldIds.steps)}
            />
            {form.steps.map((step, index) => (
              <StepCard
                key={step.key}
                client={client}
                idPrefix={id('step')}
                form={form}
                step={step}
                index={index}
                selected={selected === step.key}
                notebookFromRoot={notebookFromRoot(form, step)}
                connections={connections}
                problems={problems}
                onChange={change => editStep(step.key, change)}
                onBrowse={() => void browse(step.key)}
                onMove={delta =>
                  edit(f => ({
                    ...f,
                    steps: moveStep(f.steps, step.key, delta)
                  }))
                }
                onRemove={() =>
                  edit(f => ({ ...f, steps: removeStep(f.steps, step.key) }))
                }
              />
            ))}
            <AddStepBar
              onAdd={kind => added(addStepOfKind(form, kind, selected), false)}
              onBrowse={() => void browse()}
            />
          </section>
        </div>
        <PipelineCanvas
          form={form}
          selected={selected}
          onSelect={key => {
            setSelected(key);
            card(key ?? '')
              ?.closest('section')
              ?.scrollIntoView({ block: 'nearest' });
          }}
          onEdit={edit}
          onAdded={added}
          onOpenStep={key => card(key)?.focus()}
          onPickNotebooks={() => void browse()}
        />
      </div>
    </div>
  );
}
