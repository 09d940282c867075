import { describe, expect, it } from 'vitest';

import { OrchClient, OrchError } from '../src/api/api';
import { isNameTaken } from '../src/api/errorText';
import {
  cancelRunQuestion,
  notReplacedMessage,
  registerOrReplace
} from '../src/dialogs/conflicts';
import { FakeServer } from './fakeServer';
import { makeRun } from './fixtures';

const TAKEN =
  "a pipeline named 'daily' is already registered from project/a.yaml; rename this " +
  'one, or send "replace": true (the lab\'s Replace) to make it its file, keeping its runs';

/** POST /orch/pipelines: 409 name_taken unless the request says `replace`. */
function server(): FakeServer {
  return new FakeServer().on('POST', /^orch\/pipelines$/, request => {
    const body = request.body as { path: string; replace?: boolean };
    return body.replace
      ? { status: 201, body: { name: 'daily', version: 3, path: body.path } }
      : {
          status: 409,
          body: { error: TAKEN, details: [], code: 'name_taken' }
        };
  });
}

describe('isNameTaken', () => {
  it('knows the 409 of a name registered from another file', () => {
    expect(isNameTaken(new OrchError(TAKEN, 409))).toBe(true);
  });

  it('reads the code when the error carries one', () => {
    const coded = (code: string) =>
      Object.assign(new OrchError('taken', 409), { code });
    expect(isNameTaken(coded('name_taken'))).toBe(true);
    expect(isNameTaken(coded('other'))).toBe(false);
  });

  it('is no other conflict nor any other error', () => {
    expect(
      isNameTaken(new OrchError('path: b.yaml holds another pipeline', 409))
    ).toBe(false);
    expect(isNameTaken(new OrchError(TAKEN, 400))).toBe(false);
    expect(isNameTaken(new Error(TAKEN))).toBe(false);
  });
});

describe('registerOrReplace', () => {
  it('asks with the server message, then sends replace: true', async () => {
    const fake = server();
    const asked: string[] = [];
    const pipeline = await registerOrReplace(
      new OrchClient(fake.transport),
      { path: 'project/b.yaml', yaml: 'name: daily\n' },
      async message => {
        asked.push(message);
        return true;
      }
    );
    expect(asked).toEqual([TAKEN]);
    expect(pipeline?.path).toBe('project/b.yaml');
    expect(fake.requests.map(r => r.body)).toEqual([
      { path: 'project/b.yaml', yaml: 'name: daily\n' },
      { path: 'project/b.yaml', yaml: 'name: daily\n', replace: true }
    ]);
  });

  it('sends nothing more when the user keeps the other file', async () => {
    const fake = server();
    const pipeline = await registerOrReplace(
      new OrchClient(fake.transport),
      { path: 'project/b.yaml' },
      async () => false
    );
    expect(pipeline).toBeNull();
    expect(fake.requests).toHaveLength(1);
  });

  it('never asks about another refusal', async () => {
    const fake = new FakeServer().on('POST', /^orch\/pipelines$/, () => ({
      status: 400,
      body: { error: 'steps: give at least one step', details: [] }
    }));
    let asked = false;
    await expect(
      registerOrReplace(
        new OrchClient(fake.transport),
        { path: 'b.yaml' },
        () => {
          asked = true;
          return Promise.resolve(true);
        }
      )
    ).rejects.toThrow('steps: give at least one step');
    expect(asked).toBe(false);
  });

  it('says in the builder what became of the file, without --replace', () => {
    const message = notReplacedMessage('daily', 'project/b.yaml');
    expect(message).toBe(
      'Saved project/b.yaml, but did not register it: another file holds the name daily. ' +
        'Rename this pipeline, or save again and choose “Replace (keep history)”.'
    );
    expect(message).not.toContain('--replace');
  });
});

describe('cancelRunQuestion', () => {
  it('names the run by its number and says what cancelling keeps', () => {
    const run = makeRun({ pipeline: 'daily', number: 42, status: 'running' });
    expect(cancelRunQuestion(run)).toEqual({
      title: 'Cancel run #42 of daily?',
      body: 'Its running steps are stopped; finished steps keep their outputs.'
    });
  });

  it('says a queued run will not start; an old run goes by its id', () => {
    const run = makeRun({
      id: 'b1c2d3e4f5a6',
      number: null,
      status: 'queued'
    });
    expect(cancelRunQuestion(run)).toEqual({
      title: 'Cancel run d3e4f5a6 of daily?',
      body: 'It has not started yet: none of its steps will run.'
    });
  });
});
