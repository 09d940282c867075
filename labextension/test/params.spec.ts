import { describe, expect, it } from 'vitest';

import {
  collectValues,
  fieldsFromDefaults,
  kindOf,
  kindOfNotebookParameter,
  parseValue
} from '../src/common/params';

describe('parameter kinds', () => {
  it('comes from the default value', () => {
    expect(kindOf(7)).toBe('int');
    expect(kindOf(0.5)).toBe('float');
    expect(kindOf(true)).toBe('bool');
    expect(kindOf('2024-03-31')).toBe('str');
    expect(kindOf(['a'])).toBe('json');
    expect(kindOf({ a: 1 })).toBe('json');
  });

  it("comes from the notebook's inferred type when there is one", () => {
    const param = {
      name: 'x',
      default: null,
      default_source: 'None',
      help: '',
      inferred_type: 'list' as const
    };
    expect(kindOfNotebookParameter(param)).toBe('json');
    expect(kindOfNotebookParameter({ ...param, inferred_type: 'float' })).toBe(
      'float'
    );
    expect(
      kindOfNotebookParameter({ ...param, inferred_type: null, default: 3 })
    ).toBe('int');
  });
});

describe('parseValue', () => {
  it('reads typed text', () => {
    expect(parseValue(' 42 ', 'int')).toEqual({ ok: true, value: 42 });
    expect(parseValue('2.5', 'float')).toEqual({ ok: true, value: 2.5 });
    expect(parseValue('false', 'bool')).toEqual({ ok: true, value: false });
    expect(parseValue('["a", 1]', 'json')).toEqual({
      ok: true,
      value: ['a', 1]
    });
    expect(parseValue(' keep spaces ', 'str')).toEqual({
      ok: true,
      value: ' keep spaces '
    });
  });

  it('refuses text that is not of the kind, saying what to give', () => {
    expect(parseValue('4.5', 'int')).toEqual({
      ok: false,
      error: 'give a whole number'
    });
    expect(parseValue('', 'float')).toEqual({
      ok: false,
      error: 'give a number'
    });
    expect(parseValue('Infinity', 'float')).toEqual({
      ok: false,
      error: 'give a number'
    });
    expect(parseValue('yes', 'bool')).toEqual({
      ok: false,
      error: 'give true or false'
    });
    expect(parseValue('[a', 'json').ok).toBe(false);
  });
});

describe('collectValues', () => {
  it('sends every field as its type', () => {
    const fields = fieldsFromDefaults({
      days: 7,
      date: '2024-03-31',
      to: ['a@b.c']
    });
    fields[0].text = '3';
    expect(collectValues(fields)).toEqual({
      ok: true,
      values: { days: 3, date: '2024-03-31', to: ['a@b.c'] }
    });
  });

  it('names each field it cannot read', () => {
    const fields = fieldsFromDefaults({ days: 7, ratio: 0.5 });
    fields[0].text = 'seven';
    fields[1].text = 'half';
    const result = collectValues(fields);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toEqual({
        days: 'days: give a whole number',
        ratio: 'ratio: give a number'
      });
    }
  });
});
