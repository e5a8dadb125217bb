import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Organisation, OrganisationChanges, OrganisationType } from '../domain/organisations.ts';

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID.test(value);

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

    /** Inserts the organisation and one group per service offered to its type (SPEC §3.2). */
    async create(changes: OrganisationChanges & { name: string; type: OrganisationType }, now: Date): Promise<Organisation> {
      const id = crypto.randomUUID();
      const [row] = await db<OrganisationRow>('organisations')
        .insert({ ...toColumns(changes), id, created_at: now, modified_at: now })
        .returning('*');
      const services = await db('services').whereRaw('? = any(offered_to)', [changes.type]).orderBy('position');
      await db('groups').insert(
        services.map((s: { code: string; display_name: string }) => ({
          org_id: id,
          id: crypto.randomUUID(),
          service_code: s.code,
          display_name: s.display_name,
          created_at: now,
          modified_at: now,
        })),
      );
      return fromRow(row);
    },

    async update(id: string, changes: OrganisationChanges, now: Date): Promise<Organisation | undefined> {
      const [row] = await db<OrganisationRow>('organisations')
        .where({ id })
        .update({ ...toColumns(changes), modified_at: now })
        .returning('*');
      return row ? fromRow(row) : undefined;
    },
  };
}
