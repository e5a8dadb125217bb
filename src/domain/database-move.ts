import type { Readable, Writable } from 'node:stream';
import type { JWK } from 'jose';
import { envKeyJwk, installKeyFile, KEY_FILE, readKeyFile, sameKey } from '../auth/signing-key.ts';
import { ArchiveError, type ArchiveSummary, type OpenRepositories } from '../store/repositories.ts';

/** Where the server's signing key lives: IDM_SIGNING_KEY, else DATA_DIR/signing-key.json. */
export interface KeyPlace {
  dataDir: string;
  envKey: string | undefined;
}

export interface MoveReport extends ArchiveSummary {
  /** What became of the signing key, in a sentence for the operator. */
  key: string;
}

/**
 * `idm db export`: the database and, when the key is DATA_DIR's file, the key, so that tokens
 * issued before the move verify after it (the archive is then as secret as the key). A key
 * given as IDM_SIGNING_KEY stays where the operator keeps it: the archive names it only.
 */
export async function exportDatabase(database: OpenRepositories, out: Writable, place: KeyPlace): Promise<MoveReport> {
  const fileKey = place.envKey ? undefined : readKeyFile(place.dataDir);
  const signingKey = fileKey ?? null;
  const summary = await database.archive.write(out, { signingKey, signingKeyFrom: place.envKey ? 'IDM_SIGNING_KEY' : fileKey ? KEY_FILE : 'none' });
  const key = place.envKey
    ? 'the signing key is IDM_SIGNING_KEY and is not in the archive: give the new server the same IDM_SIGNING_KEY'
    : fileKey
      ? `the archive holds the signing key of ${place.dataDir} (keep the archive as secret as the key)`
      : `there was no signing key in ${place.dataDir}: tokens issued with another key will not move`;
  return { ...summary, key };
}

/**
 * `idm db import`: refuses before touching the database when the archive's key and the target's
 * differ (tokens issued before would stop working); installs the archive's key in DATA_DIR when
 * the target has none.
 */
export async function importDatabase(database: OpenRepositories, input: Readable, place: KeyPlace): Promise<MoveReport> {
  let archiveKey: JWK | null = null;
  const summary = await database.archive.read(input, {
    check: (manifest) => {
      archiveKey = (manifest.extras.signingKey as JWK | null | undefined) ?? null;
      if (!archiveKey) return;
      const targetKey = place.envKey ? envKeyJwk(place.envKey) : readKeyFile(place.dataDir);
      if (targetKey && !sameKey(targetKey, archiveKey)) {
        const where = place.envKey ? 'IDM_SIGNING_KEY' : `${place.dataDir}/${KEY_FILE}`;
        throw new ArchiveError(`${where} is another signing key than the archive's: tokens issued before the export would no longer verify. Import where there is no key (or the archive's)`);
      }
    },
  });
  const installed = archiveKey as JWK | null;
  let key: string;
  if (!installed) key = 'the archive holds no signing key: give the new server the key the old one used (IDM_SIGNING_KEY)';
  else if (place.envKey) key = 'IDM_SIGNING_KEY is the archive\'s signing key';
  else if (readKeyFile(place.dataDir)) key = `${place.dataDir}/${KEY_FILE} is already the archive's signing key`;
  else {
    await installKeyFile(place.dataDir, installed);
    key = `the archive's signing key is now ${place.dataDir}/${KEY_FILE}`;
  }
  return { ...summary, key };
}
