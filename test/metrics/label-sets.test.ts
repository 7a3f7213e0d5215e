// Label sets kept across scrapes (src/domain/metrics/label-sets.ts): one object per set, whose
// pre-rendered text is exactly what rendering it afresh gives.
import assert from 'node:assert/strict';
import { lastSet, oneLabel, renderLabels, twoLabels, type Labels } from '../../src/domain/metrics/label-sets.js';

describe('label sets', () => {
  it('gives one frozen object per set, rendered as a fresh object with the same labels is', () => {
    const cmd = oneLabel('cmd');
    const quantile = twoLabels('cmd', 'quantile');
    const cases: [Labels, Labels][] = [
      [cmd('get'), { cmd: 'get' }],
      [cmd('config|get'), { cmd: 'config|get' }],
      [quantile('get', '0.999'), { cmd: 'get', quantile: '0.999' }],
      // A value that needs escaping: a script's error prefix, say.
      [oneLabel('err')('a"b\\c\nd'), { err: 'a"b\\c\nd' }],
    ];
    for (const [kept, fresh] of cases) {
      assert.equal(renderLabels(kept), renderLabels(fresh));
      assert.ok(Object.isFrozen(kept));
    }
    assert.equal(cmd('get'), cmd('get'));
    assert.equal(quantile('get', '0.5'), quantile('get', '0.5'));
    assert.notEqual(quantile('get', '0.5'), quantile('get', '0.99'));
    assert.equal(renderLabels({ err: 'a"b\\c\nd' }), '{err="a\\"b\\\\c\\nd"}');
    assert.equal(renderLabels({}), '');
    assert.equal(renderLabels(undefined), '');
  });

  it('stops keeping sets past its bound, and still renders the ones it makes afresh', () => {
    const db = oneLabel('db');
    for (let i = 0; i < 5000; i++) db(`db${i}`);
    const late = db('db4999');
    assert.notEqual(db('db4999'), late, 'past the bound, a set is made afresh at each use');
    assert.equal(renderLabels(late), '{db="db4999"}');
    assert.equal(db('db0'), db('db0'), 'the sets kept before the bound stay kept');
  });

  // lastSet: the set before when equal (same names, order and values), else the new one, kept.
  const sequences: [string, Labels, boolean][] = [
    ['the first', { role: 'master', run_id: 'a' }, false],
    ['equal', { role: 'master', run_id: 'a' }, true],
    ['a value changed', { role: 'slave', run_id: 'a' }, false],
    ['equal to the last', { role: 'slave', run_id: 'a' }, true],
    ['the same labels in another order', { run_id: 'a', role: 'slave' }, false],
    ['one label more', { run_id: 'a', role: 'slave', os: 'Linux' }, false],
    ['one label less', { run_id: 'a', role: 'slave' }, false],
    ['a value that needs escaping', { run_id: 'a"b', role: 'slave' }, false],
    ['equal again', { run_id: 'a"b', role: 'slave' }, true],
  ];
  it('lastSet reuses the set before only when it is equal, and renders what a fresh set renders', () => {
    const last = lastSet();
    let before: Labels | undefined;
    for (const [what, labels, reused] of sequences) {
      const got = last({ ...labels });
      assert.equal(got === before, reused, what);
      assert.deepEqual(got, labels, what);
      assert.ok(Object.isFrozen(got), what);
      assert.equal(renderLabels(got), renderLabels({ ...labels }), what);
      before = got;
    }
  });
});
