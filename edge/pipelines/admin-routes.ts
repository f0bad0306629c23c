// The pipelines on the admin port: GET /api/pipelines (what `tributary pipelines list` and
// `status` show, and the console's page), POST /api/pipelines/reset?name=NAME[&from=earliest|latest].
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isTributaryError } from '../../shared/errors.ts';
import { sendJson } from '../../shared/http/admin-server.ts';
import type { PipelineRunner } from './pipeline-runner.ts';

type Route = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void;

export function pipelineRoutes(runner: () => PipelineRunner | undefined): Record<string, Route> {
  return {
    'GET /api/pipelines': (_request, response) => {
      const running = runner();
      sendJson(response, 200, { configured: running !== undefined, pipelines: running?.report() ?? [] });
    },
    'POST /api/pipelines/reset': async (request, response) => {
      const running = runner();
      const query = new URL(request.url ?? '/', 'http://admin').searchParams;
      const name = query.get('name');
      const from = query.get('from') ?? undefined;
      if (running === undefined) return sendJson(response, 404, { error: 'no pipelines are configured on this edge' });
      if (name === null || name === '') return sendJson(response, 400, { error: 'name a pipeline: ?name=NAME' });
      if (from !== undefined && from !== 'earliest' && from !== 'latest') return sendJson(response, 400, { error: `from must be earliest or latest, not ${from}` });
      try {
        sendJson(response, 200, await running.reset(name, from));
      } catch (error) {
        if (!isTributaryError(error, 'CLI_OPTION_INVALID')) throw error;
        sendJson(response, 404, { error: error.message });
      }
    },
  };
}
