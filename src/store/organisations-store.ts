import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { notifyCachesStale } from './cache-notifications.ts';
import { isUuid } from '../model/ids.ts';
import type { Organisation, OrganisationChanges, OrganisationType } from '../model/organisation.ts';

interface OrganisationRow {
  id: string;
  name: string;
  organisation_number: string | null;
  type: OrganisationType;
  school_form: Organisation['schoolForm'];
  reports_via_file: boolean;
  active: boolean;
  postal_address: string | null;
  created_at: Date;
  modified_at: Date;
}

function fromRow(row: OrganisationRow): Organisation {
  return {
    id: row.id,
    name: row.name,
    organisationNumber: row.organisation_number,
    type: row.type,
    schoolForm: row.school_form,
    reportsViaFile: row.reports_via_file,
    active: row.active,
    postalAddress: row.postal_address,
    created: new Date(row.created_at),
    modified: new Date(row.modified_at),
  };
}

function toColumns(changes: OrganisationChanges): Partial<OrganisationRow> {
  const columns: Partial<OrganisationRow> = {};
  if (changes.name !== undefined) columns.name = changes.name;
  if (changes.organisationNumber !== undefined) columns.organisation_number = changes.organisationNumber;
  if (changes.type !== undefined) columns.type = changes.type;
  if (changes.schoolForm !== undefined) columns.school_form = changes.schoolForm;
  if (changes.reportsViaFile !== undefined) columns.reports_via_file = changes.reportsViaFile;
  if (changes.active !== undefined) columns.active = changes.active;
  if (changes.postalAddress !== undefined) columns.postal_address = changes.postalAddress;
  return columns;
}


/**
 * Organisations are the tenants themselves, so this store is not scoped to one; only the operator
 * API and token verification reach it.
 */
export function organisationsStore(db: Knex) {
  return {
    async find(id: string): Promise<Organisation | undefined> {
      if (!isUuid(id)) return undefined;
      const row = await db<OrganisationRow>('organisations').where({ id }).first();
      return row ? fromRow(row) : undefined;
    },

    async isActive(id: string): Promise<boolean> {
      if (!isUuid(id)) return false;
      const row = await db('organisations').where({ id }).first('active');
      return Boolean(row?.active);
    },

    async list(): Promise<Organisation[]> {
      const rows = await db<OrganisationRow>('organisations').orderBy([{ column: 'created_at' }, { column: 'id' }]);
      return rows.map(fromRow);
    },

    /** Inserts the organisation alone; its catalog groups are the domain's to create (SPEC §3.2). */
    async insert(changes: OrganisationChanges & { name: string; type: OrganisationType }, now: Date): Promise<Organisation> {
      const [row] = await db<OrganisationRow>('organisations')
        .insert({ ...toColumns(changes), id: crypto.randomUUID(), created_at: now, modified_at: now })
        .returning('*');
      return fromRow(row);
    },

    async update(id: string, changes: OrganisationChanges, now: Date): Promise<Organisation | undefined> {
      const [row] = await db<OrganisationRow>('organisations')
        .where({ id })
        .update({ ...toColumns(changes), modified_at: now })
        .returning('*');
      // Deactivation and a new school form reach every process at this transaction's commit.
      if (row) await notifyCachesStale(db, 'organisation');
      return row ? fromRow(row) : undefined;
    },
  };
}

/** A service of the catalog (SPEC §3.2), as the migrations seed it. */
export interface CatalogService {
  code: string;
  displayName: string;
}

/** The service catalog: which services exist and to which kinds of organisation each is offered. */
export function catalogStore(db: Knex) {
  return {
    /** The services offered to organisations of `type`, in catalog order. */
    async offeredTo(type: OrganisationType): Promise<CatalogService[]> {
      const rows: { code: string; display_name: string }[] = await db('services').whereRaw('? = any(offered_to)', [type]).orderBy('position').select('code', 'display_name');
      return rows.map((r) => ({ code: r.code, displayName: r.display_name }));
    },
  };
}
