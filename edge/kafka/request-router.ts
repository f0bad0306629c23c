// Decodes each request frame, sends it to its API's handler and encodes the response.
// A request for an API or version this broker does not serve is answered as Kafka does:
// ApiVersions with error 35 and the supported ranges in the v0 layout (KIP-511), so the
// client can fall back; any other API by closing that connection. A malformed frame
// closes that connection, with the field and byte offset in the log.
import type { Registry } from 'prom-client';
import { Counter, Histogram } from 'prom-client';
import { decodeRequest, encodeApiVersionsFallback, encodeResponseChunks, KafkaProtocolError, parseRequestHeader, type DecodedRequest } from '../../shared/kafka/wire/index.ts';
import { ApiKey, apiName } from '../../shared/kafka/protocol/api-keys.ts';
import { TributaryError } from '../../shared/errors.ts';
import type { BrokerContext } from './broker-context.ts';
import { KafkaTrafficMetrics } from './traffic-metrics.ts';
import type { ConnectionInfo, RequestHandler, Response } from './connection.ts';
import { handleDeleteRecords } from './handlers/delete-records.ts';
import { handleDescribeLogDirs } from './handlers/describe-log-dirs.ts';
import { handleDescribeProducers } from './handlers/describe-producers.ts';
import { handleDescribeTopicPartitions } from './handlers/describe-topic-partitions.ts';
import { handleFetch } from './handlers/fetch.ts';
import { handleListOffsets } from './handlers/list-offsets.ts';
import { handleMetadata } from './handlers/metadata.ts';
import { handleProduce } from './handlers/produce.ts';
import { handleCreatePartitions, handleCreateTopics, handleDeleteTopics } from './handlers/topic-admin.ts';
import { handleAlterConfigs, handleDescribeConfigs, handleIncrementalAlterConfigs } from './handlers/configs.ts';
import { apiVersionsBody, handleDescribeCluster, handleInitProducerId, handleOffsetForLeaderEpoch } from './handlers/cluster.ts';
import { authenticateWithoutSasl, handshakeWithoutSasl } from './sasl/session.ts';
import { handleAddOffsetsToTxn, handleAddPartitionsToTxn, handleDescribeTransactions, handleEndTxn, handleListTransactions, handleTxnOffsetCommit } from './handlers/transactions.ts';
import { handleCreateAcls, handleDeleteAcls, handleDescribeAcls } from './handlers/acls.ts';
import { handleDescribeClientQuotas } from './handlers/client-quotas.ts';
import { handleAlterUserScramCredentials, handleDescribeUserScramCredentials } from './handlers/user-scram-credentials.ts';
import { API_CHECKS } from './authorization/api-checks.ts';
import type { Check } from './authorization/checked.ts';
import { KafkaAccess, type DenialRecorder } from './authorization/kafka-access.ts';
import { RepeatedWarnings } from '../../shared/log-rate-limit.ts';
import { handleDeleteGroups, handleDescribeGroups, handleFindCoordinator, handleOffsetDelete, handleHeartbeat, handleJoinGroup, handleLeaveGroup, handleListGroups, handleOffsetCommit, handleOffsetFetch, handleSyncGroup } from './handlers/groups.ts';

export class RequestRouter implements RequestHandler {
  readonly #context: BrokerContext;
  readonly #requests: Counter<'api' | 'outcome'>;
  readonly #latency: Histogram<'api'>;
  readonly #traffic: KafkaTrafficMetrics;
  readonly #denials: DenialRecorder;

  constructor(context: BrokerContext, registry?: Registry) {
    this.#context = context;
    const registers = registry ? [registry] : [];
    this.#requests = new Counter({ name: 'tributary_kafka_requests_total', help: 'Kafka requests by API and outcome (ok, unsupported, malformed, unauthenticated)', labelNames: ['api', 'outcome'], registers });
    this.#traffic = new KafkaTrafficMetrics(registry);
    this.#denials = {
      counter: new Counter({ name: 'tributary_kafka_authorization_denied_total', help: 'Kafka operations denied by the ACLs, by API, resource type and operation (the log names the principal)', labelNames: ['api', 'resource_type', 'operation'], registers }),
      warnings: new RepeatedWarnings(context.logger),
    };
    this.#latency = new Histogram({ name: 'tributary_kafka_request_duration_seconds', help: 'Time from a Kafka request frame to its response, by API (long-polled fetches included)', labelNames: ['api'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers });
  }

  async handle(frame: Buffer, connection: ConnectionInfo): Promise<Response | undefined> {
    const header = parseRequestHeader(frame);
    const api = apiName(header.apiKey) ?? `api-${header.apiKey}`;
    let request: DecodedRequest;
    try {
      request = decodeRequest(frame, header);
    } catch (error) {
      if (error instanceof KafkaProtocolError && error.code !== 'KAFKA_FRAME_MALFORMED') {
        this.#requests.inc({ api, outcome: 'unsupported' });
        if (header.apiKey === ApiKey.ApiVersions) return encodeApiVersionsFallback(header.correlationId);
      } else {
        this.#requests.inc({ api, outcome: 'malformed' });
      }
      throw error;
    }
    const refusal = connection.sasl?.refusal(request.apiKey, api);
    if (refusal !== undefined) {
      this.#requests.inc({ api, outcome: 'unauthenticated' });
      throw new TributaryError('KAFKA_SASL_REQUIRED', refusal, { api });
    }
    const stopTimer = this.#latency.startTimer({ api });
    const body = await this.#authorizedDispatch(request, connection, api);
    stopTimer();
    this.#requests.inc({ api, outcome: 'ok' });
    if (request.apiKey === 0) this.#traffic.produced(request.body, body as never);
    else if (request.apiKey === 1) this.#traffic.fetched(body as never);
    if (body === undefined) return undefined;
    return encodeResponseChunks(request.apiKey, request.apiVersion, header.correlationId, body as never);
  }

  /**
   * The request checked against the ACLs (authorization/api-checks.ts), then handled: what
   * the principal may not do is answered with Kafka's error for it, the rest as usual.
   */
  async #authorizedDispatch(request: DecodedRequest, connection: ConnectionInfo, api: string): Promise<unknown> {
    const access = new KafkaAccess(this.#context.authorizer, connection.principal, connection.remoteAddress, api, this.#denials);
    // With no ACL and unmatched requests allowed nothing can be refused: no request pays for checking.
    if (access.allowsEverything) return this.#dispatch(request, connection);
    const check = API_CHECKS[request.apiKey] as Check<typeof request.apiKey>;
    const checked = await check(request.body as never, access, this.#context, request.apiVersion);
    if ('answer' in checked) return checked.answer;
    const body = await this.#dispatch({ ...request, body: checked.body } as DecodedRequest, connection);
    return body === undefined || checked.complete === undefined ? body : checked.complete(body as never);
  }

  /** The context with this broker's endpoint as the connection's listener advertises it (plain or TLS). */
  #asSeenBy(connection: ConnectionInfo): BrokerContext {
    return connection.advertised === this.#context.advertised ? this.#context : { ...this.#context, advertised: connection.advertised };
  }

  #dispatch(request: DecodedRequest, connection: ConnectionInfo): unknown {
    const context = this.#context;
    const version = request.apiVersion;
    switch (request.apiKey) {
      case ApiKey.Produce: return handleProduce(context, request.body);
      case ApiKey.Fetch: return handleFetch(context, request.body, version);
      case ApiKey.ListOffsets: return handleListOffsets(context, request.body, version);
      case ApiKey.Metadata: return handleMetadata(this.#asSeenBy(connection), request.body, version);
      case ApiKey.OffsetCommit: return handleOffsetCommit(context, request.body);
      case ApiKey.OffsetFetch: return handleOffsetFetch(context, request.body, version);
      case ApiKey.FindCoordinator: return handleFindCoordinator(this.#asSeenBy(connection), request.body);
      case ApiKey.JoinGroup: return handleJoinGroup(context, request.body, { apiVersion: version, clientId: request.header.clientId ?? '', clientHost: `/${connection.remoteAddress}` });
      case ApiKey.Heartbeat: return handleHeartbeat(context, request.body);
      case ApiKey.LeaveGroup: return handleLeaveGroup(context, request.body, version);
      case ApiKey.SyncGroup: return handleSyncGroup(context, request.body);
      case ApiKey.DescribeGroups: return handleDescribeGroups(context, request.body);
      case ApiKey.ListGroups: return handleListGroups(context, request.body);
      case ApiKey.SaslHandshake: return connection.sasl?.handshake(request.body, version) ?? handshakeWithoutSasl();
      case ApiKey.ApiVersions: return apiVersionsBody();
      case ApiKey.CreateTopics: return handleCreateTopics(context, request.body);
      case ApiKey.DeleteTopics: return handleDeleteTopics(context, request.body, version);
      case ApiKey.DeleteRecords: return handleDeleteRecords(context, request.body);
      case ApiKey.InitProducerId: return handleInitProducerId(context, request.body, version);
      case ApiKey.OffsetForLeaderEpoch: return handleOffsetForLeaderEpoch(context, request.body);
      case ApiKey.AddPartitionsToTxn: return handleAddPartitionsToTxn(context, request.body, version);
      case ApiKey.AddOffsetsToTxn: return handleAddOffsetsToTxn(context, request.body, version);
      case ApiKey.EndTxn: return handleEndTxn(context, request.body, version);
      case ApiKey.TxnOffsetCommit: return handleTxnOffsetCommit(context, request.body, version);
      case ApiKey.DescribeAcls: return handleDescribeAcls(context, request.body);
      case ApiKey.CreateAcls: return handleCreateAcls(context, request.body);
      case ApiKey.DeleteAcls: return handleDeleteAcls(context, request.body);
      case ApiKey.DescribeConfigs: return handleDescribeConfigs(context, request.body);
      case ApiKey.AlterConfigs: return handleAlterConfigs(context, request.body);
      case ApiKey.DescribeLogDirs: return handleDescribeLogDirs(context, request.body);
      case ApiKey.SaslAuthenticate: return connection.sasl?.authenticate(request.body, this.#context.logger, `${connection.remoteAddress}:${connection.remotePort}`) ?? authenticateWithoutSasl();
      case ApiKey.CreatePartitions: return handleCreatePartitions(context, request.body);
      case ApiKey.DeleteGroups: return handleDeleteGroups(context, request.body);
      case ApiKey.IncrementalAlterConfigs: return handleIncrementalAlterConfigs(context, request.body);
      case ApiKey.OffsetDelete: return handleOffsetDelete(context, request.body);
      case ApiKey.DescribeCluster: return handleDescribeCluster(this.#asSeenBy(connection), request.body);
      case ApiKey.DescribeClientQuotas: return handleDescribeClientQuotas(request.body);
      case ApiKey.DescribeUserScramCredentials: return handleDescribeUserScramCredentials(context.users, request.body);
      case ApiKey.AlterUserScramCredentials: return handleAlterUserScramCredentials(context.users, request.body, context.logger);
      case ApiKey.DescribeProducers: return handleDescribeProducers(context, request.body);
      case ApiKey.DescribeTransactions: return handleDescribeTransactions(context, request.body);
      case ApiKey.ListTransactions: return handleListTransactions(context, request.body);
      case ApiKey.DescribeTopicPartitions: return handleDescribeTopicPartitions(context, request.body);
      default: {
        // Every served API has its case above: one advertised without a handler fails type checking here.
        const unhandled: never = request;
        throw new Error(`assertion failed: no handler for API key ${(unhandled as DecodedRequest).apiKey}`);
      }
    }
  }
}
