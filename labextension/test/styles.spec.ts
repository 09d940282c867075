import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

const STYLE = join(__dirname, '..', 'style');
const COLOUR_PROPERTIES =
  /^\s*(color|background(-color)?|border(-[a-z]+)*|fill|stroke|outline(-color)?|box-shadow)\s*:\s*(?<value>[^;]+);/;
const ALLOWED = /^(none|transparent|inherit|currentColor|0|initial|unset)$/;

/** Colour values that are not JupyterLab CSS variables: they would break one of the themes. */
function literalColours(css: string): string[] {
  const found: string[] = [];
  css.split('\n').forEach((line, index) => {
    const match = COLOUR_PROPERTIES.exec(line);
    if (!match) {
      return;
    }
    const value = (match.groups?.value ?? '').trim();
    const withoutVariables = value.replace(/var\(--jp-[a-z0-9-]+\)/g, '');
    if (
      /#[0-9a-f]{3,8}\b|rgba?\(|hsla?\(/i.test(withoutVariables) ||
      (!value.includes('var(--jp-') &&
        !ALLOWED.test(value) &&
        !/^\d/.test(value))
    ) {
      found.push(`${index + 1}: ${line.trim()}`);
    }
  });
  return found;
}

describe('styles', () => {
  const files = readdirSync(STYLE).filter(name => name.endsWith('.css'));

  it('are found', () => {
    expect(files).toContain('panel.css');
  });

  it.each(files)('%s colours with JupyterLab CSS variables only', name => {
    const css = readFileSync(join(STYLE, name), 'utf-8');
    expect(literalColours(css)).toEqual([]);
  });

  it('would catch a literal colour', () => {
    expect(
      literalColours('.a {\n  color: #fff;\n  background: red;\n}')
    ).toEqual(['2: color: #fff;', '3: background: red;']);
    expect(
      literalColours('.a {\n  border: 1px solid var(--jp-border-color1);\n}')
    ).toEqual([]);
  });
});
