// PATCH of a Group as a membership delta (STYLE §7): the server never reads a whole group to change
// members. Operations (from parsePatchRequest('Group', …)) are folded, in request order, into one
// plan that yields the same final member set as applying them one by one (RFC 7644 §3.5.2).
import type { Filter } from 'scim2-parse-filter';
import { badRequest } from '../scim-error.ts';
import { MAX_PATCH_MEMBER_VALUES } from '../bounds.ts';
import { removesListedValues } from '../quirks/index.ts';
import type { PatchOperation } from './types.ts';
import { isPlainObject } from './values.ts';

/**
 * The final members are `replaceWith` when it is set; otherwise (removeAll ? none : the current
 * members) minus `remove` plus `add`. A list may repeat an id (it is read as a set). Invariants:
 * `add` and `remove` never share an id, so the
 * order of inserting `add` and deleting `remove` does not matter; with `replaceWith` set, `add`
 * and `remove` are empty; with `removeAll`, `remove` is empty.
 */
export interface GroupPatchPlan {
  add: string[];
  remove: string[];
  removeAll: boolean;
  replaceWith?: string[];
  /** The last displayName asked for; the catalog owns names, the caller refuses a change. */
  displayName?: string;
  /**
   * The last externalId asked for (null: removed). Not refused here: Entra's default group mapping
   * sends objectId → externalId after matching a group by displayName, so a refusal would fail
   * every provisioning cycle. The caller stores or ignores it.
   */
  externalId?: string | null;
}

/** Folds the operations into one plan; throws a ScimError for anything a group cannot take. */
export function planGroupPatch(ops: PatchOperation[]): GroupPatchPlan {
  const state = new PlanState();
  for (const op of ops) {
    if (op.op === 'add' && op.value === null) continue; // RFC 7643 §2.5: adding "unassigned" changes nothing
    const name = op.path.attribute.name;
    if (name === 'members') membersOperation(state, op);
    else if (name === 'displayName') state.displayName(op);
    else if (name === 'externalId') state.plan.externalId = op.op === 'remove' ? null : (op.value as string | null); // replace with null removes
    else throw badRequest(`Attribute '${op.path.text}' of a Group cannot be changed by PATCH`, 'mutability');
  }
  return state.result();
}

function membersOperation(state: PlanState, op: PatchOperation): void {
  const { subAttribute, filter } = op.path;
  if (subAttribute) {
    // RFC 7643 §4.2: members' sub-attributes are immutable; a member is added or removed whole.
    throw badRequest(`'${op.path.text}': members are added or removed whole, not edited`, 'mutability');
  }
  if (filter) {
    if (op.op !== 'remove') throw badRequest(`'${op.path.text}': members are added or removed whole, not edited`, 'mutability');
    state.remove(state.counted(idsOfFilter(filter, op.path.text)));
    return;
  }
  if (op.op === 'add') state.add(state.counted(idsOfElements(op.value)));
  else if (op.op === 'replace') state.replace(state.counted(idsOfElements(op.value)));
  // Entra removes with `path: "members"` and a value list; without a value, every member goes.
  else if (removesListedValues(op.value)) state.remove(state.counted(idsOfElements(op.value)));
  else state.removeAll();
}

/**
 * Member ids of `members[value eq "a"]` or `members[value eq "a" or value eq "b"]` (Okta, Entra).
 * Any other member filter would need the members read to evaluate it: 400 invalidFilter.
 */
function idsOfFilter(filter: Filter, text: string): string[] {
  if (filter.op === 'or') return filter.filters.flatMap((f) => idsOfFilter(f, text));
  if (filter.op === 'eq' && filter.attrPath === 'value' && typeof filter.compValue === 'string') return [filter.compValue];
  throw badRequest(`Filter in '${text}': only 'value eq "<user id>"' (joined by 'or') is supported on members`, 'invalidFilter');
}

/** User ids of member elements (already type-checked by the parser). Null is "no members". */
function idsOfElements(value: unknown): string[] {
  const elements = Array.isArray(value) ? value : [];
  return elements.map((element) => {
    const member = isPlainObject(element) ? element : {};
    if (typeof member.value !== 'string' || member.value.trim() === '') {
      throw badRequest('Each member needs a "value" holding a User id', 'invalidValue');
    }
    // RFC 7643 §4.2 allows Group members; service groups hold only users (SPEC §5.3).
    if (typeof member.type === 'string' && member.type.toLowerCase() !== 'user') {
      throw badRequest(`Member "${member.value}" is of type "${member.type}"; a group holds only Users`, 'invalidValue');
    }
    return member.value;
  });
}

/** The plan being folded; each method keeps the invariants of GroupPatchPlan. */
class PlanState {
  readonly plan: GroupPatchPlan = { add: [], remove: [], removeAll: false };
  private replaceWith?: Set<string>;
  private readonly adds = new Set<string>();
  private readonly removes = new Set<string>();
  private all = false;
  private values = 0;

  /** SPEC §5.4: one PATCH names at most MAX_PATCH_MEMBER_VALUES member values, repeats included. */
  counted(ids: string[]): string[] {
    this.values += ids.length;
    if (this.values > MAX_PATCH_MEMBER_VALUES) {
      throw badRequest(`A PATCH request may name at most ${MAX_PATCH_MEMBER_VALUES} member values; this one names more`, 'invalidValue');
    }
    return ids;
  }

  add(ids: string[]): void {
    if (this.pristine()) {
      this.only = { add: ids };
      return;
    }
    this.settleOnly();
    for (const id of ids) {
      if (this.replaceWith) this.replaceWith.add(id);
      else {
        this.removes.delete(id);
        this.adds.add(id);
      }
    }
  }

  remove(ids: string[]): void {
    if (this.pristine()) {
      this.only = { remove: ids };
      return;
    }
    this.settleOnly();
    for (const id of ids) {
      if (this.replaceWith) this.replaceWith.delete(id);
      else {
        this.adds.delete(id);
        // After removeAll nothing is left to remove but what was added since.
        if (!this.all) this.removes.add(id);
      }
    }
  }

  replace(ids: string[]): void {
    this.only = undefined;
    this.replaceWith = new Set(ids);
    this.adds.clear();
    this.removes.clear();
    this.all = false;
  }

  removeAll(): void {
    this.only = undefined;
    if (this.replaceWith) this.replaceWith.clear();
    else {
      this.all = true;
      this.adds.clear();
      this.removes.clear();
    }
  }

  displayName(op: PatchOperation): void {
    // Group displayName is required (RFC 7643 §4.2): refused as in apply.ts assertRequiredKept.
    if (op.op === 'remove') throw badRequest("Attribute 'displayName' is required and cannot be removed", 'mutability');
    if (op.value === null) throw badRequest("Attribute 'displayName' is required and cannot be null", 'invalidValue');
    this.plan.displayName = op.value as string;
  }

  /**
   * The usual request is a single list of members to add or remove. It is kept as it came, not
   * put in a set (which costs milliseconds at 10,000 values): repeats in it are harmless, as each
   * statement reads the list as a set. A second operation settles it into the sets.
   */
  private only?: { add?: string[]; remove?: string[] };

  private pristine(): boolean {
    return !this.only && !this.replaceWith && !this.all && this.adds.size === 0 && this.removes.size === 0;
  }

  private settleOnly(): void {
    const only = this.only;
    if (!only) return;
    this.only = undefined;
    // From the pristine state: straight into the sets (add() and remove() would keep it as it is).
    for (const id of only.add ?? []) this.adds.add(id);
    for (const id of only.remove ?? []) this.removes.add(id);
  }

  result(): GroupPatchPlan {
    if (this.only) return { ...this.plan, add: this.only.add ?? [], remove: this.only.remove ?? [], removeAll: false };
    const plan: GroupPatchPlan = { ...this.plan, add: [...this.adds], remove: [...this.removes], removeAll: this.all };
    if (this.replaceWith) plan.replaceWith = [...this.replaceWith];
    return plan;
  }
}
