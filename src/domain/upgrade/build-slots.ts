// An upgrade is A/B: installed, tried, then confirmed or rolled back. On disk, beside the
// installed bundle (one directory, one filesystem, so every rename is atomic):
//
//   instance-manager.mjs                  the installed build: always one that has run and
//                                         confirmed (or the one the container shipped)
//   .instance-manager.upload-<hex>.mjs    an upload; once verified and self-tested, the new
//                                         build is exec'd from here, on trial
//   .instance-manager.upgrade.json        the upgrade record: the trial, the build before it,
//                                         and how the last upgrade ended
//   .instance-manager.compile-cache/      V8's code cache for the upload: written by its
//                                         self-test, read by its exec (a new build starts
//                                         in a fraction of the time); emptied at each upload
//
// The commit point is one rename: a build on trial renames its own file over the installed
// one once it has adopted Redis and answered /healthz. Whatever is killed when, a start
// always runs a build that has confirmed before; a start that finds a trial that never
// confirmed reports it rolled back and removes it.
import { randomUUID } from 'node:crypto';
import { chmod, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { syncDir, writeFileDurably } from '../durable-file.js';
import { installedPathFor, isStagingName, recordPath } from './bundle-files.js';

export interface BuildRef {
  version: string;
  sha256: string;
}

export interface UpgradeRecord {
  /** Written first: the launcher and the watchdog match `"id":"…","state":"trial"` as text. */
  id: string;
  state: 'trial' | 'confirmed' | 'rolled-back';
  from: BuildRef;
  to: BuildRef;
  /** The file the new build runs from until it confirms. */
  trialPath: string;
  startedAt: string;
  /** When the state last changed. */
  at: string;
  /** Why the trial was rolled back. */
  reason: string | null;
}

/** What /v1/status.manager says about the builds. */
export interface SlotInfo {
  confirmed: boolean;
  previousVersion: string | null;
  rollback: { version: string; sha256: string; reason: string; at: string } | null;
}

async function readRecord(path: string): Promise<UpgradeRecord | null> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as Partial<UpgradeRecord>;
    const ref = (r: Partial<BuildRef> | undefined) => typeof r?.version === 'string' && typeof r.sha256 === 'string';
    if (typeof value.id !== 'string' || !ref(value.from) || !ref(value.to)) return null;
    if (value.state !== 'trial' && value.state !== 'confirmed' && value.state !== 'rolled-back') return null;
    return value as UpgradeRecord;
  } catch {
    return null;
  }
}

/** One line of JSON (the launcher reads it with `read`), replaced atomically and synced. */
async function writeRecord(path: string, record: UpgradeRecord): Promise<void> {
  await writeFileDurably(path, JSON.stringify(record) + '\n');
}

/** How the launcher describes the status of a build that died (`$?` of sh's wait). */
export function describeExit(status: string | undefined): string {
  const code = Number(status);
  if (status === undefined || !Number.isInteger(code)) return 'it never confirmed before the manager was started again';
  if (code > 128) return `it was killed by signal ${code - 128} before it confirmed`;
  return `it exited with code ${code} before it confirmed`;
}

export class BuildSlots {
  private constructor(
    readonly runningPath: string,
    readonly installedPath: string,
    private readonly self: BuildRef,
    private record: UpgradeRecord | null,
    private onTrial: boolean,
    private readonly log: Logger,
  ) {}

  /**
   * Reads the record and settles it for this start: a trial that committed (its file is now
   * the installed one) is confirmed; a trial that never did is rolled back and its file
   * removed; uploads left over by a manager that died mid-upload are removed.
   */
  static async open(options: {
    runningPath: string;
    self: BuildRef;
    /** The launcher's word on how the trial ended (IM_TRIAL_EXIT), when it restarted us. */
    trialExit: string | undefined;
    log: Logger;
  }): Promise<BuildSlots> {
    const { runningPath, self, log } = options;
    const installedPath = installedPathFor(runningPath);
    const file = recordPath(installedPath);
    let record = await readRecord(file);
    const onTrial = runningPath !== installedPath;
    const now = new Date().toISOString();
    if (!onTrial && record?.state === 'trial') {
      if (record.to.sha256 === self.sha256) {
        record = { ...record, state: 'confirmed', at: now };
        log.info({ version: self.version }, 'the new build had confirmed before the restart');
      } else {
        const reason = `the new build ${record.to.version} did not confirm: ${describeExit(options.trialExit)}`;
        record = { ...record, state: 'rolled-back', at: now, reason };
        log.warn({ version: record.to.version, running: self.version, reason }, 'upgrade rolled back');
      }
      await writeRecord(file, record);
    }
    if (
      onTrial &&
      (record?.state !== 'trial' || record.to.sha256 !== self.sha256 || record.trialPath !== runningPath)
    ) {
      log.warn({ runningPath }, 'running from an upload file that no upgrade record names: it will not confirm itself');
    }
    const slots = new BuildSlots(runningPath, installedPath, self, record, onTrial, log);
    if (!onTrial) await slots.removeLeftovers();
    return slots;
  }

  /** True while this build runs on trial (not confirmed yet). */
  get trial(): boolean {
    return this.onTrial;
  }

  info(): SlotInfo {
    const r = this.record;
    if (!r) return { confirmed: !this.onTrial, previousVersion: null, rollback: null };
    if (r.state === 'rolled-back' && r.from.sha256 === this.self.sha256) {
      return {
        confirmed: true,
        previousVersion: r.to.version,
        rollback: { version: r.to.version, sha256: r.to.sha256, reason: r.reason ?? 'unknown', at: r.at },
      };
    }
    return {
      confirmed: !this.onTrial,
      previousVersion: r.to.sha256 === this.self.sha256 ? r.from.version : null,
      rollback: null,
    };
  }

  /**
   * Just before the exec: the record says the new build is on trial (the launcher and the
   * watchdog read this line). Returns the trial's id.
   */
  async beginTrial(to: BuildRef, trialPath: string): Promise<string> {
    const now = new Date().toISOString();
    const record: UpgradeRecord = {
      id: randomUUID(),
      state: 'trial',
      from: this.self,
      to,
      trialPath,
      startedAt: now,
      at: now,
      reason: null,
    };
    await writeRecord(recordPath(this.installedPath), record);
    this.record = record;
    return record.id;
  }

  /** The commit point: this build (on trial, serving, Redis adopted) becomes the installed one. */
  async confirm(): Promise<void> {
    const record = this.record;
    if (!this.onTrial || record?.state !== 'trial' || record.trialPath !== this.runningPath) return;
    // The new file takes the installed one's mode (uploads are staged 0600).
    const { mode } = await stat(this.installedPath);
    await chmod(this.runningPath, mode & 0o7777);
    await rename(this.runningPath, this.installedPath);
    await syncDir(dirname(this.installedPath));
    this.onTrial = false;
    this.record = { ...record, state: 'confirmed', at: new Date().toISOString() };
    await writeRecord(recordPath(this.installedPath), this.record);
    this.log.info({ version: this.self.version, previous: record.from.version }, 'new build confirmed and installed');
  }

  /** Uploads that no running build owns any more (a manager killed mid-upload). */
  private async removeLeftovers(): Promise<void> {
    const dir = dirname(this.installedPath);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter(isStagingName)) {
      await rm(join(dir, name), { force: true });
      this.log.info({ file: name }, 'removed an upload left over from before the restart');
    }
  }
}
