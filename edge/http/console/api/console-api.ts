// The console's JSON API and live streams, loaded on the first request that needs them
// (console-routes.ts), so that a daemon whose console nobody opens never loads this code.
import type { ApiHandler } from './api-request.ts';
import { groupApi, groupsApi } from './groups-api.ts';
import { eventsApi, tailApi } from './live-api.ts';
import { mqttClientApi, mqttClientsApi } from './mqtt-api.ts';
import { historyApi, overviewApi } from './overview-api.ts';
import { pipelineApi, pipelineListApi } from './pipelines-api.ts';
import { recordsApi } from './records-api.ts';
import { topicApi, topicsApi } from './topics-api.ts';

export { ApiRefusal, type ConsoleContext } from './api-request.ts';

/** Every API path, each with its handler; all are GET: the console changes nothing. */
export const API_HANDLERS: Record<string, ApiHandler> = {
  '/api/overview': overviewApi,
  '/api/history': historyApi,
  '/api/topics': topicsApi,
  '/api/topic': topicApi,
  '/api/records': recordsApi,
  '/api/groups': groupsApi,
  '/api/group': groupApi,
  '/api/mqtt/clients': mqttClientsApi,
  '/api/mqtt/client': mqttClientApi,
  '/api/pipeline-list': pipelineListApi,
  '/api/pipeline': pipelineApi,
  '/api/events': eventsApi,
  '/api/tail': tailApi,
};
