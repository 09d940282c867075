/**
 * The words of the lab extension in the user's language: `trans.__('Run %1', name)`,
 * `trans._n('%1 step', '%1 steps', n)`, `trans._p('schedule', 'Once')`, as JupyterLab's own
 * extensions write them. The plugins hand JupyterLab's translator to `setTranslator` when they
 * activate; until then, and in unit tests, it is `nullTranslator` (the English as written).
 *
 * - Domain: `jupyter_orch`, the Python package's name (JupyterLab normalizes `jupyter-orch` to
 *   it). A language pack, or a package with a `jupyterlab.locale` entry point, supplies
 *   `locale/<lang>/LC_MESSAGES/jupyter_orch.json`.
 * - `trans` is an object spelled `trans`, not a call such as `trans()`: jupyterlab-translate's
 *   extractor finds strings only in calls written `trans.__(...)`, `trans._n(...)`, `trans._p(...)`,
 *   `trans._np(...)` with literal arguments. It reads the current bundle at each call, so call
 *   it inside functions, never into module-level constants (they would stay English): exported
 *   tables of words (`KIND_LABELS`, `SCHEDULE_MODES`) read theirs in getters. A sentence with a
 *   React node in it (a name in bold) is `Sentence` in components.tsx.
 * - Command labels and captions go through `trans` like any string; a word JupyterLab itself
 *   shows (the launcher's "Other") comes from its own `jupyterlab` domain. The settings schemas
 *   (schema/*.json: titles, descriptions, menu and toolbar labels) are translated by the server
 *   with the domain each names in `jupyter.lab.internationalization` (else `jupyterlab`).
 * - eslint's `jupyter/no-untranslated-string` is on for all of src/.
 */
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

/** The translation domain of jupyter-orch's strings. */
export const TRANSLATION_DOMAIN = 'jupyter_orch';

let current: ITranslator = nullTranslator;
// Read only through `trans` below, the name the extractor knows
// eslint-disable-next-line jupyter/incorrect-translator-usage
let bundle: TranslationBundle = nullTranslator.load(TRANSLATION_DOMAIN);

/** Translates from now on with `translator`; none (null) is the English as written. */
export function setTranslator(
  translator: ITranslator | null | undefined
): void {
  current = translator ?? nullTranslator;
  bundle = current.load(TRANSLATION_DOMAIN);
}

/** The translator last set, for JupyterLab widgets that take one (`FileDialog`, ...). */
export function getTranslator(): ITranslator {
  return current;
}

/** jupyter-orch's translation bundle: each call uses the translator set last. */
export const trans: TranslationBundle = {
  __: (...args) => bundle.__(...args),
  _n: (...args) => bundle._n(...args),
  _p: (...args) => bundle._p(...args),
  _np: (...args) => bundle._np(...args),
  gettext: (...args) => bundle.gettext(...args),
  ngettext: (...args) => bundle.ngettext(...args),
  pgettext: (...args) => bundle.pgettext(...args),
  npgettext: (...args) => bundle.npgettext(...args),
  dcnpgettext: (...args) => bundle.dcnpgettext(...args)
};
