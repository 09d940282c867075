/// <reference types="vite/client" />
/**
 * Builder forms for unit tests: a pipeline's YAML read into the builder's form (the fixture with
 * a step of each kind unless given), and a step of it by name.
 */
import type { IBuilderForm, IStepForm } from '../src/builder/builderModel';
import { yamlToForm } from '../src/builder/builderYaml';
import KINDS from './fixtures/kinds_pipeline.yaml?raw';

/** A pipeline with each kind of step: two queries, a function, two exports, a notebook. */
export { KINDS };
export const KINDS_PATH = 'etl/users.pipeline.yaml';

/** The form of `source`, read as the file at `path`; throws when it does not load. */
export function loadForm(source = KINDS, path = KINDS_PATH): IBuilderForm {
  const form = yamlToForm(source, path);
  if (!form) {
    throw new Error(`${path} did not load`);
  }
  return form;
}

/** The form's step of that name; throws when there is none. */
export function stepNamed(form: IBuilderForm, name: string): IStepForm {
  const found = form.steps.find(s => s.name === name);
  if (!found) {
    throw new Error(`no step ${name}`);
  }
  return found;
}
