// The replicaof line redis-server is spawned with, from the state file, and the hold a
// restart of redis-server records first.
import assert from 'node:assert/strict';
import type { PrimaryRestartPolicy } from '../../src/config/config.js';
import { spawnTopology, type SpawnKind } from '../../src/domain/replication/boot-role.js';
import { PLACEHOLDER_PRIMARY } from '../../src/domain/replication/placeholder.js';
import { initialState, StateStore, writeState, type PersistedState } from '../../src/domain/state/state-file.js';
import { tempDir } from '../helpers/tmp.js';

describe('spawnTopology', () => {
  const P = { host: '10.0.0.1', port: 6379 };
  type Existing = Partial<PersistedState> & Pick<PersistedState, 'role' | 'primary'>;
  const cases: [
    string,
    Existing | null,
    'primary' | 'replica',
    PrimaryRestartPolicy,
    [SpawnKind, typeof P | null][],
    boolean,
  ][] = [
    [
      'a fresh node made primary by the flag: plain primary at its first start only; a restart holds it',
      null,
      'primary',
      'hold',
      [
        ['start', null],
        ['restart', PLACEHOLDER_PRIMARY],
        ['restart', PLACEHOLDER_PRIMARY],
      ],
      true,
    ],
    [
      'the same with resume: behind the placeholder after a restart, but not held (the reconcile resumes it)',
      null,
      'primary',
      'resume',
      [
        ['start', null],
        ['restart', PLACEHOLDER_PRIMARY],
      ],
      false,
    ],
    [
      'a fresh replica: the placeholder, always',
      null,
      'replica',
      'hold',
      [
        ['start', PLACEHOLDER_PRIMARY],
        ['restart', PLACEHOLDER_PRIMARY],
      ],
      false,
    ],
    [
      'a primary from the state file: behind the placeholder from the first start',
      { role: 'primary', primary: null },
      'primary',
      'hold',
      [['start', PLACEHOLDER_PRIMARY]],
      false,
    ],
    [
      'a replica from the state file follows its primary, whatever the flag says; never held',
      { role: 'replica', primary: P },
      'primary',
      'hold',
      [
        ['start', P],
        ['restart', P],
      ],
      false,
    ],
    [
      'a replica from the state file with no primary yet: the placeholder',
      { role: 'replica', primary: null },
      'primary',
      'hold',
      [['start', PLACEHOLDER_PRIMARY]],
      false,
    ],
  ];
  for (const [name, existing, initialRole, policy, spawns, heldAfter] of cases) {
    it(name, async () => {
      const dir = await tempDir();
      if (existing) await writeState(dir, { ...initialState(existing.role), ...existing, epoch: 3 });
      const state = await StateStore.open(dir, initialRole);
      const next = spawnTopology(state, policy);
      const seen: (typeof P | null)[] = [];
      for (const [kind] of spawns) seen.push(await next(kind));
      assert.deepEqual(
        seen,
        spawns.map(([, expected]) => expected),
      );
      assert.equal(state.current.held !== null, heldAfter, 'held after the spawns');
      if (heldAfter) assert.equal(state.current.held?.reason, 'restart');
    });
  }

  it('a fresh primary promoted through the API is behind the placeholder at its next start', async () => {
    const state = await StateStore.open(await tempDir(), 'replica');
    const next = spawnTopology(state, 'hold');
    assert.deepEqual(await next('start'), PLACEHOLDER_PRIMARY);
    await state.update({ role: 'primary', primary: null, roleChangedAt: new Date().toISOString() });
    assert.deepEqual(await next('restart'), PLACEHOLDER_PRIMARY);
    assert.equal(state.current.held?.reason, 'restart');
  });
});
