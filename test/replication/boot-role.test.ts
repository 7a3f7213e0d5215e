// The replicaof line redis-server is spawned with, from the state file.
import assert from 'node:assert/strict';
import { replicaOfAtSpawn } from '../../src/domain/replication/boot-role.js';
import { PLACEHOLDER_PRIMARY } from '../../src/domain/replication/placeholder.js';
import { StateStore, writeState } from '../../src/domain/state/state-file.js';
import { tempDir } from '../helpers/tmp.js';

describe('replicaOfAtSpawn', () => {
  const P = { host: '10.0.0.1', port: 6379 };
  const cases: [
    string,
    { role: 'primary' | 'replica'; primary: typeof P | null } | null,
    'primary' | 'replica',
    (typeof P | null)[],
  ][] = [
    [
      'a fresh node made primary by the flag: plain primary at the first start only',
      null,
      'primary',
      [null, PLACEHOLDER_PRIMARY, PLACEHOLDER_PRIMARY],
    ],
    ['a fresh replica: the placeholder, always', null, 'replica', [PLACEHOLDER_PRIMARY, PLACEHOLDER_PRIMARY]],
    [
      'a primary from the state file: held behind the placeholder from the first start',
      { role: 'primary', primary: null },
      'primary',
      [PLACEHOLDER_PRIMARY, PLACEHOLDER_PRIMARY],
    ],
    [
      'a replica from the state file follows its primary, whatever the flag says',
      { role: 'replica', primary: P },
      'primary',
      [P, P],
    ],
    [
      'a replica from the state file with no primary yet: the placeholder',
      { role: 'replica', primary: null },
      'primary',
      [PLACEHOLDER_PRIMARY],
    ],
  ];
  for (const [name, existing, initialRole, spawns] of cases) {
    it(name, async () => {
      const dir = await tempDir();
      if (existing)
        await writeState(dir, {
          ...existing,
          epoch: 3,
          roleChangedAt: null,
          emptyAtCleanShutdown: false,
          updatedAt: new Date().toISOString(),
        });
      const state = await StateStore.open(dir, initialRole);
      const next = replicaOfAtSpawn(state);
      assert.deepEqual(
        spawns.map(() => next()),
        spawns,
      );
    });
  }

  it('a fresh primary promoted through the API is held at its next start', async () => {
    const state = await StateStore.open(await tempDir(), 'replica');
    const next = replicaOfAtSpawn(state);
    assert.deepEqual(next(), PLACEHOLDER_PRIMARY);
    await state.update({ role: 'primary', primary: null, roleChangedAt: new Date().toISOString() });
    assert.deepEqual(next(), PLACEHOLDER_PRIMARY);
  });
});
