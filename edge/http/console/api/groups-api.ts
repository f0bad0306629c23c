// GET /api/groups: every consumer group with its state, members and total lag.
// GET /api/group?id=: one group's members and their assignments, lag per partition, and its
// total lag over the last hour. See group-view.ts for what lag means (and for the mirror's group).
import { groupView, logOffsetsOf, type GroupView } from '../group-view.ts';
import { ApiRefusal, required, type ApiHandler, type ConsoleContext } from './api-request.ts';

/** Groups listed at most; each costs an offset lookup per partition. */
export const GROUPS_LISTED_MAX = 500;

function views(context: ConsoleContext): GroupView[] | undefined {
  const { providers } = context;
  if (!providers.groups) return undefined;
  const offsets = logOffsetsOf(providers.topics.topics());
  const mirror = providers.mirror ? { deliveredGroup: providers.mirror.deliveredGroup, report: providers.mirror.report() } : undefined;
  return providers.groups.groups().map((group) => groupView(group, offsets, mirror)).sort((a, b) => a.groupId.localeCompare(b.groupId));
}

export const groupsApi: ApiHandler = (context) => {
  const all = views(context);
  if (all === undefined) return { configured: false, groups: [] };
  return {
    configured: true,
    total: all.length,
    groups: all.slice(0, GROUPS_LISTED_MAX).map((view) => ({ groupId: view.groupId, state: view.state, protocolType: view.protocolType, mirror: view.mirror, members: view.members.length, partitions: view.partitions.length, totalLag: view.totalLag })),
  };
};

export const groupApi: ApiHandler = (context, query) => {
  const id = required(query, 'id', '/api/group?id=dashboard');
  const all = views(context) ?? [];
  const view = all.find((entry) => entry.groupId === id);
  if (!view) throw new ApiRefusal(404, `no consumer group named ${id}; groups: ${all.map((entry) => entry.groupId).slice(0, 20).join(', ') || '(none)'}`);
  return { ...view, lagHistory: context.history.groupLag(id) };
};
