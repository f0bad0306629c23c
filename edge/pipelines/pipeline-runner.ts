// Runs the configured pipelines: one task per pipeline and input partition, each with its
// own state partition. Creates the topics a pipeline needs, follows new input partitions,
// reports status and resets a pipeline on request.
import type { Registry } from 'prom-client';
import type { PipelineConfig } from '../../shared/config/pipelines-schema.ts';
import { isTributaryError, TributaryError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { PipelineMetrics } from './metrics.ts';
import { PartitionTask, type TaskStatus } from './partition-task.ts';
import type { PipelineLog } from './pipeline-log.ts';
import { planPipelines, type PipelinePlan } from './plan.ts';
import { RecentProblems, type PipelineProblem } from './recent-problems.ts';
import { STATE_TOPIC_SETTINGS, stateTopicName } from './state-log.ts';

/** How often input topics are checked for new partitions (the mirror checks as often). */
const PARTITION_CHECK_MS = 30_000;

export interface PipelineReport {
  name: string;
  from: string;
  to: string;
  stateTopic: string;
  steps: string[];
  partitions: TaskStatus[];
}

export interface PipelineRunnerOptions {
  pipelines: readonly PipelineConfig[];
  log: PipelineLog;
  registry: Registry;
  logger: Logger;
}

interface RunningPipeline {
  plan: PipelinePlan;
  stateTopic: string;
  tasks: PartitionTask[];
  /** Kept across resets: what went wrong before one is still worth seeing. */
  problems: RecentProblems;
}

export class PipelineRunner {
  readonly #options: PipelineRunnerOptions;
  readonly #metrics: PipelineMetrics;
  readonly #pipelines = new Map<string, RunningPipeline>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Resets and partition checks run one at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(options: PipelineRunnerOptions, plans: PipelinePlan[]) {
    this.#options = options;
    this.#metrics = new PipelineMetrics(options.registry);
    for (const plan of plans) this.#pipelines.set(plan.config.name, { plan, stateTopic: stateTopicName(plan.config.name), tasks: [], problems: new RecentProblems() });
  }

  /** Plans every pipeline (CONFIG_INVALID naming pipeline, step and column), creates missing topics, starts the tasks. */
  static async start(options: PipelineRunnerOptions): Promise<PipelineRunner> {
    const runner = new PipelineRunner(options, planPipelines(options.pipelines));
    for (const pipeline of runner.#pipelines.values()) await runner.#startPipeline(pipeline);
    runner.#timer = setInterval(() => {
      runner.#serially(() => runner.#followPartitions()).catch((error: unknown) => options.logger.error({ err: error }, 'pipeline partition check failed'));
    }, PARTITION_CHECK_MS);
    runner.#timer.unref();
    return runner;
  }

  async #ensureTopic(name: string, partitions?: number, settings = {}): Promise<number> {
    const { log, logger } = this.#options;
    let existing = log.describeTopic(name);
    if (existing === undefined) {
      try {
        existing = await log.createTopic(name, partitions === undefined ? settings : { ...settings, partitions });
        logger.info({ event: 'pipeline-topic-created', topic: name, partitions: existing.partitions }, 'created a topic a pipeline needs');
      } catch (error) {
        if (!isTributaryError(error, 'TOPIC_EXISTS')) throw error;
        existing = log.describeTopic(name)!;
      }
    }
    if (partitions !== undefined && existing.partitions < partitions) existing = await log.createPartitions(name, partitions);
    return existing.partitions;
  }

  async #startPipeline(pipeline: RunningPipeline): Promise<void> {
    const config = pipeline.plan.config;
    const inputPartitions = await this.#ensureTopic(config.from);
    await this.#ensureTopic(config.to);
    await this.#ensureTopic(pipeline.stateTopic, inputPartitions, STATE_TOPIC_SETTINGS);
    for (let index = pipeline.tasks.length; index < inputPartitions; index++) this.#startTask(pipeline, index);
  }

  #startTask(pipeline: RunningPipeline, index: number): void {
    const task = new PartitionTask({
      plan: pipeline.plan,
      index,
      log: this.#options.log,
      stateTopic: pipeline.stateTopic,
      metrics: this.#metrics,
      logger: this.#options.logger,
      problems: pipeline.problems,
    });
    pipeline.tasks.push(task);
    task.start();
  }

  async #followPartitions(): Promise<void> {
    if (this.#closed) return;
    for (const pipeline of this.#pipelines.values()) {
      const partitions = this.#options.log.describeTopic(pipeline.plan.config.from)?.partitions ?? 0;
      if (partitions > pipeline.tasks.length) await this.#startPipeline(pipeline);
    }
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  report(): PipelineReport[] {
    return [...this.#pipelines.values()].map(({ plan, stateTopic, tasks }) => ({
      name: plan.config.name,
      from: plan.config.from,
      to: plan.config.to,
      stateTopic,
      steps: plan.steps.map((step) => step.kind),
      partitions: tasks.map((task) => task.status()),
    }));
  }

  /** A pipeline as configured (steps as declared, limits, formats; startFrom as the last reset left it); undefined when none is named so. */
  definition(name: string): PipelineConfig | undefined {
    return this.#pipelines.get(name)?.plan.config;
  }

  /** A pipeline's newest problems, newest first (recent-problems.ts); undefined when none is named so. */
  recentProblems(name: string): PipelineProblem[] | undefined {
    return this.#pipelines.get(name)?.problems.list();
  }

  /**
   * Forgets a pipeline's position and state and starts it again from `startFrom` (the
   * pipeline's own setting when not given). Outputs already written stay: a reset from
   * earliest writes the results of the records still kept once more.
   */
  reset(name: string, startFrom?: PipelineConfig['startFrom']): Promise<PipelineReport> {
    return this.#serially(async () => {
      const pipeline = this.#pipelines.get(name);
      if (pipeline === undefined) throw new TributaryError('CLI_OPTION_INVALID', `no pipeline is named ${name}; configured: ${[...this.#pipelines.keys()].join(', ') || 'none'}`, { pipeline: name });
      for (const task of pipeline.tasks) {
        await task.stop();
        this.#metrics.forgetPartition(name, task.index);
      }
      pipeline.tasks = [];
      const log = this.#options.log;
      if (log.describeTopic(pipeline.stateTopic) !== undefined) await log.deleteTopic(pipeline.stateTopic);
      if (startFrom !== undefined) pipeline.plan = { ...pipeline.plan, config: { ...pipeline.plan.config, startFrom } };
      this.#options.logger.warn({ event: 'pipeline-reset', pipeline: name, startFrom: pipeline.plan.config.startFrom }, 'pipeline reset: state and position forgotten');
      await this.#startPipeline(pipeline);
      return this.report().find((entry) => entry.name === name)!;
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#queue;
    await Promise.all([...this.#pipelines.values()].flatMap((pipeline) => pipeline.tasks.map((task) => task.stop())));
  }
}
