/**
 * The four step kinds in words, and a step's kind read from its definition. Shared by the
 * builder, the run detail and the DAG. Pure. The words are read when asked (getters), so that
 * they are in the user's language.
 */
import { STEP_KINDS, StepKind } from '../api/tokens';
import { trans } from './i18n';

/** What the builder's kind choice and the run detail call each kind. */
export const KIND_LABELS: Readonly<Record<StepKind, string>> = {
  get notebook() {
    return trans._p('step kind', 'Notebook');
  },
  get query() {
    return trans._p('step kind', 'SQL query');
  },
  get function() {
    return trans._p('step kind', 'Python function');
  },
  get export() {
    return trans._p('step kind', 'Export');
  }
};

/** A short tag for a DAG box, where a word does not fit. */
export const KIND_TAGS: Readonly<Record<StepKind, string>> = {
  get notebook() {
    return trans._p('step kind tag', 'NB');
  },
  get query() {
    return trans._p('step kind tag', 'SQL');
  },
  get function() {
    return trans._p('step kind tag', 'PY');
  },
  get export() {
    return trans._p('step kind tag', 'EXP');
  }
};

/** The key of a step's definition that names each kind, in the server's order. */
const KIND_KEYS: [string, StepKind][] = [
  ['notebook', 'notebook'],
  ['sql', 'query'],
  ['python', 'function'],
  ['export', 'export']
];

export function isStepKind(value: unknown): value is StepKind {
  return (STEP_KINDS as readonly unknown[]).includes(value);
}

/**
 * A step definition's kind: its `kind` when the server gave one (GET /orch/pipelines/{name}),
 * else the first of `notebook`, `sql`, `python`, `export` it has (a stored definition); null
 * for none.
 */
export function kindOf(step: unknown): StepKind | null {
  if (!step || typeof step !== 'object') {
    return null;
  }
  const data = step as Record<string, unknown>;
  if (isStepKind(data.kind)) {
    return data.kind;
  }
  const found = KIND_KEYS.find(
    ([key]) => data[key] !== undefined && data[key] !== null
  );
  return found ? found[1] : null;
}

/** Each named step's kind, for steps whose kind can be told. */
export function kindsByStep(steps: unknown): Record<string, StepKind> {
  const kinds: Record<string, StepKind> = {};
  for (const step of Array.isArray(steps) ? steps : []) {
    const kind = kindOf(step);
    const name = (step as { name?: unknown }).name;
    if (kind && typeof name === 'string') {
      kinds[name] = kind;
    }
  }
  return kinds;
}
