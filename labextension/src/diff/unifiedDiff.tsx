/**
 * A unified diff (`diff -u`, Python's difflib) as coloured lines with their old and new line
 * numbers: removed lines red, added green, in JupyterLab's diff colours (both themes).
 *
 *   parseUnifiedDiff(text: string): IDiffLine[]        // pure, unit-tested
 *   <UnifiedDiff text={...} label={...} />             // React; `label` names it for screen readers
 */
import * as React from 'react';

export type DiffLineKind = 'add' | 'del' | 'context' | 'hunk' | 'meta';

export interface IDiffLine {
  kind: DiffLineKind;
  text: string;
  /** The line's number in the old file (removed and unchanged lines). */
  oldLine: number | null;
  /** The line's number in the new file (added and unchanged lines). */
  newLine: number | null;
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** The lines of a unified diff, each with its kind and line numbers. */
export function parseUnifiedDiff(text: string): IDiffLine[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') {
    lines.pop();
  }
  let oldLine = 0;
  let newLine = 0;
  let inHunk = false;
  return lines.map((line): IDiffLine => {
    const hunk = HUNK.exec(line);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      inHunk = true;
      return { kind: 'hunk', text: line, oldLine: null, newLine: null };
    }
    if (!inHunk || line.startsWith('\\')) {
      // The ---/+++ header, or "\ No newline at end of file"
      return { kind: 'meta', text: line, oldLine: null, newLine: null };
    }
    if (line.startsWith('+')) {
      return { kind: 'add', text: line, oldLine: null, newLine: newLine++ };
    }
    if (line.startsWith('-')) {
      return { kind: 'del', text: line, oldLine: oldLine++, newLine: null };
    }
    return {
      kind: 'context',
      text: line,
      oldLine: oldLine++,
      newLine: newLine++
    };
  });
}

/** A unified diff, line by line. */
export function UnifiedDiff(props: {
  text: string;
  label?: string;
}): JSX.Element {
  const lines = React.useMemo(() => parseUnifiedDiff(props.text), [props.text]);
  return (
    <div className="jp-OrchDiff" role="table" aria-label={props.label}>
      {lines.map((line, index) => (
        <div
          key={index}
          role="row"
          className={`jp-OrchDiff-line jp-OrchDiff-${line.kind}`}
        >
          <span role="cell" className="jp-OrchDiff-number">
            {line.oldLine ?? ''}
          </span>
          <span role="cell" className="jp-OrchDiff-number">
            {line.newLine ?? ''}
          </span>
          <span role="cell" className="jp-OrchDiff-text">
            {line.text}
          </span>
        </div>
      ))}
    </div>
  );
}
