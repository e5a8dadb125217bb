import { schemaRegistry } from '../../scim/schema-registry.ts';
import { isReturned, project, type Projection } from '../../scim/projection.ts';
import { memberOf, renderGroup } from '../../scim/render.ts';
import { groupMemberIds } from '../../domain/groups-service.ts';
import type { TenantRequest } from '../../domain/tenant-request.ts';
import type { Group } from '../../model/group.ts';
import { objectWithStreamedArray } from '../stream-json.ts';

/** The body of one Group: members, when returned, are streamed page by page from the database. */
export async function* groupBody(req: TenantRequest, row: Group, baseUrl: string, projection: Projection): AsyncGenerator<string> {
  const registry = schemaRegistry();
  const head = project(registry, 'Group', renderGroup(row, req.org, baseUrl), projection);
  if (!isReturned(registry, 'Group', projection, 'members')) {
    yield JSON.stringify(head);
    return;
  }
  const pages = (async function* () {
    for await (const ids of groupMemberIds(req, row.id)) {
      const members = ids.map((id) => memberOf(id, baseUrl));
      yield (project(registry, 'Group', { members }, projection).members as unknown[] | undefined) ?? [];
    }
  })();
  yield* objectWithStreamedArray(head, 'members', pages);
}
