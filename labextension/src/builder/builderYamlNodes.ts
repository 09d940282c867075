/**
 * Edits of a parsed YAML document that keep what they do not change: a value set to what it
 * already is leaves its node (and comments) alone, a new key goes where the form's order puts
 * it. Used by the builder's YAML writers.
 */
import { Document, isNode, isScalar, Node, YAMLMap } from 'yaml';

import { sameValue } from './builderValues';
import type { JSONValue } from '../api/tokens';

/** Sets `key` in `map` to `value` unless it already holds an equal value; keeps its comment. */
export function setValue(
  doc: Document,
  map: YAMLMap,
  key: string,
  value: JSONValue,
  order: readonly string[],
  flow = false
): void {
  const current: unknown = map.get(key, true);
  if (current !== undefined && sameValue(plain(current), value)) {
    return;
  }
  const node = doc.createNode(value, { flow }) as Node;
  if (isNode(current)) {
    node.comment = current.comment;
    node.commentBefore = current.commentBefore;
  }
  setNode(doc, map, key, node, order);
}

/**
 * Sets `key` in `map` to `node`: in place of the value it has, or as a new key before the first
 * existing key that comes after it in `order` (at the end when none does, or `key` is not in it).
 */
export function setNode(
  doc: Document,
  map: YAMLMap,
  key: string,
  node: Node,
  order: readonly string[]
): void {
  if (map.has(key)) {
    map.set(key, node);
    return;
  }
  const later = order.slice(order.indexOf(key) + 1);
  const at = map.items.findIndex(
    pair => isScalar(pair.key) && later.includes(String(pair.key.value))
  );
  const pair = doc.createPair(key, node);
  if (at < 0 || order.indexOf(key) < 0) {
    map.items.push(pair);
  } else {
    map.items.splice(at, 0, pair);
  }
}

/** A node's (or a raw value's) plain JSON value. */
export function plain(value: unknown): unknown {
  return isNode(value) ? value.toJSON() : value;
}

/** Sets `key` to `value`, or deletes it when `value` is undefined. */
export function setOrDelete(
  doc: Document,
  map: YAMLMap,
  key: string,
  value: JSONValue | undefined,
  order: readonly string[],
  flow = false
): void {
  if (value === undefined) {
    map.delete(key);
  } else {
    setValue(doc, map, key, value, order, flow);
  }
}

/** A number for number-like text (`3` -> 3), else the text; undefined when empty. */
export function numberOrText(input: string): JSONValue | undefined {
  const trimmed = input.trim();
  if (!trimmed) {
    return undefined;
  }
  return /^[-+]?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
}
