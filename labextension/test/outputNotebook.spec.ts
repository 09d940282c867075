import { describe, expect, it } from 'vitest';

import {
  comparedNotebookPath,
  copyPath,
  failingCellIndex,
  INotebookCell,
  outputNotebookPath,
  PAPERMILL_ERROR_TAG
} from '../src/output/outputNotebook';
import { failedSteps } from '../src/run/runView';
import { makeAttempt, makeRun, makeStep } from './fixtures';

function code(outputs: string[] = [], metadata = {}): INotebookCell {
  return {
    cell_type: 'code',
    source: 'x = 1',
    metadata,
    outputs: outputs.map(output_type => ({ output_type }))
  };
}

function markdown(
  source: string | string[],
  tags: string[] = []
): INotebookCell {
  return { cell_type: 'markdown', source, metadata: { tags } };
}

// The two cells papermill adds to a notebook whose run raised (papermill.execute).
const header = markdown(
  '<span style="color:red">An Exception was encountered at \'<a href="#papermill-error-cell">In [3]</a>\'.</span>',
  [PAPERMILL_ERROR_TAG]
);
const anchor = markdown(
  [
    '<span id="papermill-error-cell" style="color:red">',
    'Execution using papermill encountered an exception here and stopped:</span>'
  ],
  [PAPERMILL_ERROR_TAG]
);

describe('failingCellIndex', () => {
  it('finds the cell after papermill’s anchor', () => {
    const cells = [
      header,
      code(['stream'], { tags: ['parameters'] }),
      code(['stream']),
      anchor,
      code(['error']),
      code()
    ];
    expect(failingCellIndex(cells)).toBe(4);
  });

  it('finds a generated notebook’s error cell (no papermill cells)', () => {
    const cells = [
      markdown('# Query `totals`'),
      markdown('```sql\nselect 1\n```'),
      code(['display_data']),
      code(['error'])
    ];
    expect(failingCellIndex(cells)).toBe(3);
  });

  it('finds the cell papermill marked when the kernel died without an error output', () => {
    const cells = [
      code(['stream']),
      code([], { papermill: { exception: true, status: 'failed' } }),
      code([], { papermill: { status: 'pending' } })
    ];
    expect(failingCellIndex(cells)).toBe(1);
  });

  it('takes the last error, as papermill does, without an anchor', () => {
    expect(failingCellIndex([code(['error']), code(), code(['error'])])).toBe(
      2
    );
  });

  it('finds none in a notebook that ran through', () => {
    expect(failingCellIndex([markdown('# ok'), code(['stream'])])).toBeNull();
    expect(failingCellIndex([])).toBeNull();
    // an anchor with nothing after it points nowhere
    expect(failingCellIndex([header, anchor])).toBeNull();
  });
});

describe('copyPath', () => {
  it('names the copy after the step and the run, in the home folder', () => {
    expect(
      copyPath('orch-runs/daily/01JH5ZC2K0QWE7Q9Q3Z5ZC2K0Q/count_region.ipynb')
    ).toBe('count_region-Z5ZC2K0Q-copy.ipynb');
    expect(
      copyPath(
        'orch-runs/daily/01JH5ZC2K0QWE7Q9Q3Z5ZC2K0Q/load.attempt-2.ipynb'
      )
    ).toBe('load.attempt-2-Z5ZC2K0Q-copy.ipynb');
  });

  it('numbers the next copies', () => {
    expect(copyPath('runs/daily/r1/load.ipynb', 2)).toBe(
      'load-r1-copy-2.ipynb'
    );
  });

  it('needs no run folder', () => {
    expect(copyPath('load.ipynb')).toBe('load-copy.ipynb');
    expect(copyPath('')).toBe('output-copy.ipynb');
  });
});

describe('outputNotebookPath', () => {
  const run = '01JH5ZC2K0QWE7Q9Q3Z5ZC2K0Q';

  it('opens a notebook under the root at its path', () => {
    expect(
      outputNotebookPath(run, {
        output_notebook: `orch-runs/daily/${run}/clean.ipynb`,
        output_notebook_name: 'clean.ipynb'
      })
    ).toBe(`orch-runs/daily/${run}/clean.ipynb`);
  });

  it('opens a notebook outside the root on the runs drive, by its name', () => {
    expect(
      outputNotebookPath(run, {
        output_notebook: null,
        output_notebook_name: 'clean.attempt-2.ipynb'
      })
    ).toBe(`OrchRuns:${run}/clean.attempt-2.ipynb`);
  });

  it('has none for an attempt that left none (or an older server’s, outside the root)', () => {
    expect(
      outputNotebookPath(run, {
        output_notebook: null,
        output_notebook_name: null
      })
    ).toBeNull();
    expect(outputNotebookPath(run, { output_notebook: null })).toBeNull();
  });

  it('is what the failure banner opens', () => {
    const failed = makeRun({
      id: run,
      status: 'failed',
      steps: [
        makeStep('clean', 'failed', [
          makeAttempt(1, {
            status: 'failed',
            output_notebook: null,
            output_notebook_name: 'clean.ipynb'
          })
        ])
      ]
    });
    expect(failedSteps(failed).map(f => f.notebook)).toEqual([
      `OrchRuns:${run}/clean.ipynb`
    ]);
  });
});

describe('comparedNotebookPath', () => {
  it('keeps a path under the root and puts a bare name on the runs drive', () => {
    expect(comparedNotebookPath('r1', 'orch-runs/daily/r1/load.ipynb')).toBe(
      'orch-runs/daily/r1/load.ipynb'
    );
    expect(comparedNotebookPath('r1', 'load.ipynb')).toBe(
      'OrchRuns:r1/load.ipynb'
    );
  });
});

describe('copyPath of a notebook on the runs drive', () => {
  it('names the copy as for a root path, from the drive’s local path', () => {
    expect(copyPath('01JH5ZC2K0QWE7Q9Q3Z5ZC2K0Q/clean.attempt-2.ipynb')).toBe(
      'clean.attempt-2-Z5ZC2K0Q-copy.ipynb'
    );
  });
});
