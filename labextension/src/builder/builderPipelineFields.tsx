/**
 * The builder's fields for the pipeline itself: its name, description and file, and its run
 * parameters.
 */
import * as React from 'react';

import { trans } from '../common/i18n';
import { ParamRows, TextField } from './builderFields';
import { IBuilderForm, setName, setPath } from './builderModel';
import { FieldIds } from './builderProblems';

export interface IPipelineFieldsProps {
  form: IBuilderForm;
  /** A new pipeline: its name and file can be changed (a saved one keeps them). */
  isNew: boolean;
  /** The folder a new pipeline's file goes in. */
  cwd: string;
  /** A field's id in this builder. */
  id: (name: string) => string;
  problems: (id: string) => string[];
  /** The builder's edit of the form, and the ids of the fields it touched. */
  edit: (
    change: (form: IBuilderForm) => IBuilderForm,
    ...ids: string[]
  ) => void;
}

export function PipelineFields(props: IPipelineFieldsProps): JSX.Element {
  const { form, isNew, cwd, id, problems, edit } = props;
  return (
    <>
      <section
        className="jp-OrchBuilder-section"
        aria-label={trans.__('Pipeline')}
      >
        <TextField
          id={id('name')}
          label={trans.__('Name')}
          value={form.name}
          readOnly={!isNew}
          hint={
            isNew
              ? trans.__('Lower-case letters, digits, - and _')
              : trans.__(
                  'Renaming makes another pipeline: copy the file to do that'
                )
          }
          problems={problems(FieldIds.name)}
          onChange={name =>
            edit(f => setName(f, name, cwd), FieldIds.name, FieldIds.path)
          }
        />
        <TextField
          id={id('description')}
          label={trans.__('Description')}
          multiline
          value={form.description}
          problems={problems(FieldIds.description)}
          onChange={description =>
            edit(f => ({ ...f, description }), FieldIds.description)
          }
        />
        <TextField
          id={id('path')}
          label={trans.__('File')}
          value={form.path}
          readOnly={!isNew}
          hint={trans.__(
            "The pipeline's YAML file, relative to the root folder"
          )}
          problems={problems(FieldIds.path)}
          onChange={path => edit(f => setPath(f, path), FieldIds.path)}
        />
      </section>
      <section className="jp-OrchBuilder-section">
        <h3 className="jp-OrchBuilder-heading">{trans.__('Run parameters')}</h3>
        <div className="jp-OrchBuilder-hint">
          {trans.__(
            'Values a run can override; steps read them as %1 and notebooks declaring them in their parameters cell receive them.',
            '{{ params.<name> }}'
          )}
        </div>
        <ParamRows
          idPrefix={id('param')}
          label={trans.__('Run parameters')}
          values="default"
          rows={form.parameters}
          placeholder={trans.__(
            'default, e.g. %1',
            '7, 0.5, true, text, [1, 2]'
          )}
          onChange={parameters =>
            edit(f => ({ ...f, parameters }), FieldIds.parameters, 'param')
          }
          problemsFor={row => problems(FieldIds.param(row.key))}
          problems={problems(FieldIds.parameters)}
        />
      </section>
    </>
  );
}
