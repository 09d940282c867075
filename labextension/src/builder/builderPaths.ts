/**
 * Paths in the pipeline builder, all relative to the server's root folder or to the pipeline
 * file's folder (as a pipeline file writes them). Pure.
 */

/** The folder of a root-relative path (`''` for the root). */
export function dirname(path: string): string {
  const index = path.lastIndexOf('/');
  return index < 0 ? '' : path.slice(0, index);
}

function normalSegments(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') {
      continue;
    }
    if (part === '..' && out.length && out[out.length - 1] !== '..') {
      out.pop();
    } else {
      out.push(part);
    }
  }
  return out;
}

/** `dir` joined with a relative path, `.` and `..` resolved. */
export function joinPath(dir: string, relative: string): string {
  return normalSegments(`${dir}/${relative}`).join('/');
}

/** `target` (relative to the root) as seen from `fromDir` (also relative to the root). */
export function relativePath(fromDir: string, target: string): string {
  const from = normalSegments(fromDir);
  const to = normalSegments(target);
  let common = 0;
  while (
    common < from.length &&
    common < to.length &&
    from[common] === to[common]
  ) {
    common += 1;
  }
  const up = from.slice(common).map(() => '..');
  return [...up, ...to.slice(common)].join('/');
}
