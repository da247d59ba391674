import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProblemList, editDistance, formatPath, suggest } from '../../../src/config/problems.js';

const FIELDS = ['leadTime', 'tickInterval', 'minStepDuration', 'scaleDownDelay', 'maxStepChange'];

const SUGGEST_CASES = [
  { name: 'case-only difference', word: 'leadtime', want: 'leadTime' },
  { name: 'one letter dropped', word: 'tickInterva', want: 'tickInterval' },
  { name: 'two letters swapped', word: 'scaelDownDelay', want: 'scaleDownDelay' },
  { name: 'snake case of a long name', word: 'min_step_duration', want: 'minStepDuration' },
  { name: 'nothing close', word: 'colour', want: undefined },
  { name: 'short unrelated word', word: 'x', want: undefined },
];

for (const c of SUGGEST_CASES) {
  test(`suggest: ${c.name}`, () => assert.equal(suggest(c.word, FIELDS), c.want));
}

test('editDistance counts inserts, deletes and substitutions', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('same', 'same'), 0);
});

test('formatPath writes keys with dots and list indexes in brackets', () => {
  assert.equal(formatPath(['spec', 'forecast', 'excludedWindows', 0, 'from']), 'spec.forecast.excludedWindows[0].from');
  assert.equal(formatPath([]), '');
});

test('ProblemList sorts by line and keeps problems without a line last', () => {
  const lines: Record<string, number> = { b: 3, a: 7 };
  const list = new ProblemList((path) => lines[String(path[0])]);
  list.add(['a'], 'second');
  list.add(['c'], 'no line');
  list.add(['b'], 'first');
  assert.deepEqual(list.sortedProblems(), [
    { path: 'b', message: 'first', line: 3 },
    { path: 'a', message: 'second', line: 7 },
    { path: 'c', message: 'no line' },
  ]);
});
