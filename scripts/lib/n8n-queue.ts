import { spawn, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

import {
	listExecutionsWith,
	readExecutionFailureWith,
	type ExecutionFailure,
	type ExecutionSummary,
	type SqlQuery,
} from './n8n-database';
import {
	buildEnv,
	findFreePort,
	importAndPublish,
	installPackage,
	isReady,
	killProcessGroup,
	LogBuffer,
	packProject,
	trackProcessGroup,
	waitForExecutions,
	waitForPublications,
	type N8nLogs,
	type PackageMode,
	type WaitForExecutionsOptions,
} from './n8n-harness';
import { ensureN8nInstalled, PROJECT_DIR, type N8nRuntime } from './n8n-install';
import { postgresQuery, type PostgresConnection } from './n8n-postgres';
import { readExecutionData, readNodeItems, readNodeOutputs, type NodeItem } from './n8n-run-data';
import {
	createDatabase,
	dropDatabase,
	startQueueServices,
	stopQueueServices,
	type QueueServices,
} from './queue-services';

/**
 * n8n in queue mode on one machine: one `n8n start` main process, one `n8n webhook` process and
 * workers (`n8n worker`), sharing a PostgreSQL database, a Redis queue and one encryption key.
 * Each process has its own user folder with the project's package installed in it, as each
 * container of a real deployment has. Every port is a free port on 127.0.0.1.
 *
 * Only the n8n 2.x line runs here. n8n 1.123.81's webhook process sends the 200 of an `onReceived`
 * webhook before it stores the execution, and the tests of this setup check that every 200 has a
 * stored execution.
 */

export type QueueRole = 'main' | 'webhook' | 'worker';

export interface StartQueueOptions {
	/** `community` (the default) installs the `npm pack` tarball, as n8n's Settings page does. */
	packageMode?: PackageMode;
	/** Number of `n8n worker` processes; 2 by default. */
	workers?: number;
	/** Jobs each worker runs at once (`n8n worker --concurrency`); n8n's default is 10. */
	workerConcurrency?: number;
	credentials?: object[];
	workflows?: object[];
	/** Workflows the main process activates when it starts. */
	publish?: string[];
	/** Extra environment for every process; it overrides the defaults below. */
	env?: Record<string, string>;
	/** Extra environment per role, applied after `env`. */
	roleEnv?: Partial<Record<QueueRole, Record<string, string>>>;
	/**
	 * Debug logs on the workers. n8n then logs each node it runs (`Running node "X" finished
	 * successfully`), which shows where the nodes ran. Costs throughput, so benchmarks leave it off.
	 */
	nodeLogs?: boolean;
	/** Tarball to install; by default the package is packed once and shared by all processes. */
	tarball?: string;
	/** Package folder to load, as in startN8n: this project, or KARLA_PACKAGE_DIR when set. */
	packageDir?: string;
	onProgress?: (line: string) => void;
	/** Limit for all processes to become ready and the main process to activate workflows. */
	startTimeoutMs?: number;
	/** Keeps user folders and the database after stop(); also set by KARLA_N8N_KEEP=1. */
	keep?: boolean;
}

/** One structured log line of an n8n process (`N8N_LOG_FORMAT=json`). */
export interface N8nLogEntry {
	level: string;
	message: string;
	metadata: Record<string, unknown>;
}

export interface QueueProcess {
	/** `main`, `webhook`, `worker-1`, `worker-2`, ... */
	name: string;
	role: QueueRole;
	/** HTTP port: the editor and webhooks for main, webhooks for webhook, health checks for workers. */
	port: number;
	baseUrl: string;
	userFolder: string;
	logs: N8nLogs;
	/** Process id of the n8n process, or undefined when it is not running. */
	pid(): number | undefined;
	isRunning(): boolean;
	/** Every line of the log file parsed as JSON; lines that are not JSON are left out. */
	logEntries(): N8nLogEntry[];
	/** Sends a signal to the process group: n8n and its task runner. */
	kill(signal: NodeJS.Signals): void;
	/** Stops the process; safe to call more than once. */
	stop(): Promise<void>;
	/** Starts the process again with the same user folder and ports, and waits until it is ready. */
	restart(): Promise<void>;
}

export interface RunningQueue {
	runtime: N8nRuntime;
	packageMode: PackageMode;
	main: QueueProcess;
	webhook: QueueProcess;
	workers: QueueProcess[];
	processes: QueueProcess[];
	/** Production URL of a webhook path on the webhook process. */
	webhookUrl(path: string): string;
	databaseName: string;
	/** Runs SQL on n8n's database; identifiers double-quoted, `?` placeholders. */
	query: SqlQuery;
	executions(workflowId?: string): Promise<ExecutionSummary[]>;
	waitForExecutions(options: WaitForExecutionsOptions): Promise<ExecutionSummary[]>;
	executionFailure(executionId: number): Promise<ExecutionFailure>;
	/**
	 * The JSON of the items a node output in each listed execution, from n8n's execution records.
	 * Executions without a run of that node map to an empty array.
	 */
	nodeOutputs(executionIds: number[], nodeName: string): Promise<Map<number, unknown[]>>;
	/** The same with the metadata of each item's binary properties. */
	nodeItems(executionIds: number[], nodeName: string): Promise<Map<number, NodeItem[]>>;
	/** Each listed execution's stored run data as text, to search for values the trigger received. */
	executionDataText(executionIds: number[]): Promise<Map<number, string>>;
	/** Stops every n8n process, drops the database and stops the services it started. */
	stop(): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 240_000;
const POLL_INTERVAL_MS = 250;

/**
 * Starts PostgreSQL and Redis (`scripts/queue-services.sh`), a new database, and the n8n processes
 * of a queue-mode setup. Resolves once every process is ready and the main process has activated
 * the published workflows. On failure it stops everything and throws with the log tails.
 */
export async function startN8nQueue(options: StartQueueOptions = {}): Promise<RunningQueue> {
	const progress = options.onProgress ?? ((text: string) => process.stderr.write(`${text}\n`));
	const packageMode = options.packageMode ?? 'community';
	const keep = options.keep ?? process.env.KARLA_N8N_KEEP === '1';
	const startedAt = Date.now();
	const deadline = startedAt + (options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);

	const runtime = await ensureN8nInstalled({ line: 2, onProgress: progress });
	const services = await startQueueServices(progress);
	const runId = randomBytes(4).toString('hex');
	const databaseName = `karla_queue_${runId}`;
	await createDatabase(databaseName, progress);

	const root = mkdtempSync(join(tmpdir(), 'karla-n8n-queue-'));
	const processes: ManagedProcess[] = [];
	const connection: PostgresConnection = { ...services.postgres, database: databaseName };
	const query = postgresQuery(runtime, connection);

	const stop = once(async () => {
		// Webhook and main first, so that nothing new is queued while the workers stop.
		const [front, workers] = [
			processes.filter((child) => child.role !== 'worker'),
			processes.filter((child) => child.role === 'worker'),
		];
		await Promise.all(front.map(async (child) => await child.stop()));
		await Promise.all(workers.map(async (child) => await child.stop()));
		for (const child of processes) child.closeLogs();
		if (!keep) {
			rmSync(root, { recursive: true, force: true });
			await dropDatabase(databaseName, progress).catch((error: unknown) => {
				progress(`[n8n-queue] dropping database ${databaseName} failed: ${String(error)}`);
			});
		}
		if (services.startedHere) await stopQueueServices(progress);
	});

	try {
		progress(`[n8n-queue] n8n ${runtime.n8nVersion} on Node ${runtime.nodeVersion} in ${root}`);
		const packageDir = options.packageDir ?? process.env.KARLA_PACKAGE_DIR ?? PROJECT_DIR;
		const tarball =
			packageMode === 'community'
				? (options.tarball ?? packProject(join(root, 'pack'), packageDir))
				: undefined;

		// The system may hand out a just-released port again, so every port is checked against
		// the ones already taken.
		const taken = new Set<number>();
		const allocatePort = async (): Promise<number> => {
			let port = await findFreePort();
			while (taken.has(port)) port = await findFreePort();
			taken.add(port);
			return port;
		};
		const webhookPort = await allocatePort();
		const webhookBaseUrl = `http://127.0.0.1:${webhookPort}`;
		const sharedEnv = buildQueueEnv(services, databaseName, runId, webhookBaseUrl, options);

		const definitions: Array<{ name: string; role: QueueRole; port: number }> = [
			{ name: 'main', role: 'main', port: await allocatePort() },
			{ name: 'webhook', role: 'webhook', port: webhookPort },
		];
		for (let index = 1; index <= (options.workers ?? 2); index++) {
			definitions.push({ name: `worker-${index}`, role: 'worker', port: await allocatePort() });
		}

		for (const definition of definitions) {
			const userFolder = join(root, definition.name);
			const n8nFolder = join(userFolder, '.n8n');
			mkdirSync(n8nFolder, { recursive: true });
			installPackage({ packageMode, tarball, packageDir }, n8nFolder, progress);
			const baseUrl = `http://127.0.0.1:${definition.port}`;
			const roleEnv: Record<string, string> = {
				...sharedEnv,
				...roleDefaults(definition.role, definition.port, options.nodeLogs ?? false),
				...(options.roleEnv?.[definition.role] ?? {}),
			};
			const env = buildEnv(
				runtime,
				userFolder,
				definition.port,
				await allocatePort(),
				definition.role === 'main' ? baseUrl : webhookBaseUrl,
				roleEnv,
			);
			processes.push(new ManagedProcess(runtime, definition, baseUrl, userFolder, env, options));
		}

		const main = processes[0];
		// The first import runs every migration on the new database. The webhook process and the
		// workers read workflows from the database when a request or job arrives, so they start
		// while the workflows are published. The main process activates them when it starts.
		const { credentials, workflows, publish = [] } = options;
		await importAndPublish(
			runtime,
			main.env,
			main.userFolder,
			{ credentials, workflows },
			progress,
		);
		const others = Promise.all(
			processes.slice(1).map(async (child) => await child.start(deadline)),
		);
		others.catch(() => undefined);
		await publishWorkflows(query, publish, progress);
		await main.start(deadline);
		await others;
		await waitForPublications(query, publish, deadline);
		progress(`[n8n-queue] ready after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);

		const executions = async (workflowId?: string) => await listExecutionsWith(query, workflowId);
		const allLogs = combinedLogs(processes);
		return {
			runtime,
			packageMode,
			main,
			webhook: processes[1],
			workers: processes.slice(2),
			processes: [...processes],
			webhookUrl: (path: string) => `${webhookBaseUrl}/webhook/${path.replace(/^\/+/, '')}`,
			databaseName,
			query,
			executions,
			waitForExecutions: async (wait) => await waitForExecutions(executions, allLogs, wait),
			executionFailure: async (executionId) =>
				await readExecutionFailureWith(query, runtime.nodeBin, runtime.dir, executionId),
			nodeOutputs: async (executionIds, nodeName) =>
				await readNodeOutputs(runtime, query, executionIds, nodeName),
			nodeItems: async (executionIds, nodeName) =>
				await readNodeItems(runtime, query, executionIds, nodeName),
			executionDataText: async (executionIds) => await readExecutionData(query, executionIds),
			stop,
		};
	} catch (error: unknown) {
		const message = error instanceof Error ? error.message : String(error);
		const tails = processes
			.map((child) => `--- ${child.name} log tail ---\n${child.logs.tail(25)}`)
			.join('\n');
		await stop();
		throw new Error(`${message}\n${tails}`);
	}
}

/**
 * Publishes workflows with the UPDATE that `n8n publish:workflow --id=ID` runs in n8n 2.41.1
 * (WorkflowRepository.publishVersion sets `active` and points `activeVersionId` at the current
 * version), in one statement instead of one CLI start of about 7 s per workflow. Like the CLI,
 * it requires the current version in the workflow history. The main process activates the
 * workflows when it starts, and waitForPublications checks that it did.
 */
async function publishWorkflows(
	query: SqlQuery,
	workflowIds: string[],
	progress: (line: string) => void,
): Promise<void> {
	if (workflowIds.length === 0) return;
	const placeholders = workflowIds.map(() => '?').join(', ');
	const published = await query<{ id: string }>(
		`UPDATE workflow_entity AS w SET active = true, "activeVersionId" = w."versionId"
		 WHERE w.id IN (${placeholders}) AND w."isArchived" = false AND EXISTS (
			SELECT 1 FROM workflow_history h
			WHERE h."workflowId" = w.id AND h."versionId" = w."versionId")
		 RETURNING w.id`,
		workflowIds,
	);
	const missing = workflowIds.filter((id) => !published.some((row) => row.id === id));
	if (missing.length > 0) {
		throw new Error(`Cannot publish workflows ${missing.join(', ')}: not imported or archived`);
	}
	progress(`[n8n-queue] published ${workflowIds.length} workflow(s)`);
}

function buildQueueEnv(
	services: QueueServices,
	databaseName: string,
	runId: string,
	webhookBaseUrl: string,
	options: StartQueueOptions,
): Record<string, string> {
	return {
		EXECUTIONS_MODE: 'queue',
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: services.postgres.host,
		DB_POSTGRESDB_PORT: String(services.postgres.port),
		DB_POSTGRESDB_USER: services.postgres.user,
		DB_POSTGRESDB_PASSWORD: services.postgres.password,
		DB_POSTGRESDB_DATABASE: databaseName,
		QUEUE_BULL_REDIS_HOST: services.redis.host,
		QUEUE_BULL_REDIS_PORT: String(services.redis.port),
		// A prefix per run keeps the queues of runs that share one Redis apart.
		QUEUE_BULL_PREFIX: `karla-${runId}`,
		// Every process must decrypt the credentials the main process stored.
		N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
		// The base of the URL Karla is given, so it must reach the webhook process, in production
		// through a load balancer. n8n 2.41.1 reads N8N_WEBHOOK_URL first; 1.x reads WEBHOOK_URL.
		N8N_WEBHOOK_URL: `${webhookBaseUrl}/`,
		WEBHOOK_URL: `${webhookBaseUrl}/`,
		// n8n 2.41.1 already defaults to `database` in queue mode. It is set here for clarity,
		// because a worker cannot read files from another process's filesystem folder.
		N8N_DEFAULT_BINARY_DATA_MODE: 'database',
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		N8N_LOG_FORMAT: 'json',
		...(options.env ?? {}),
	};
}

function roleDefaults(role: QueueRole, port: number, nodeLogs: boolean): Record<string, string> {
	if (role !== 'worker') return {};
	return {
		QUEUE_HEALTH_CHECK_ACTIVE: 'true',
		QUEUE_HEALTH_CHECK_PORT: String(port),
		N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
		...(nodeLogs ? { N8N_LOG_LEVEL: 'debug' } : {}),
	};
}

const COMMANDS: Record<QueueRole, string> = { main: 'start', webhook: 'webhook', worker: 'worker' };

class ManagedProcess implements QueueProcess {
	readonly name: string;
	readonly role: QueueRole;
	readonly port: number;
	logs: LogBuffer;
	private child: ChildProcess | undefined;
	private stopping: Promise<void> | undefined;

	constructor(
		private readonly runtime: N8nRuntime,
		definition: { name: string; role: QueueRole; port: number },
		readonly baseUrl: string,
		readonly userFolder: string,
		readonly env: NodeJS.ProcessEnv,
		private readonly options: StartQueueOptions,
	) {
		this.name = definition.name;
		this.role = definition.role;
		this.port = definition.port;
		this.logs = new LogBuffer(join(userFolder, 'n8n.log'));
	}

	pid(): number | undefined {
		return this.isRunning() ? this.child?.pid : undefined;
	}

	isRunning(): boolean {
		return (
			this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
		);
	}

	logEntries(): N8nLogEntry[] {
		const entries: N8nLogEntry[] = [];
		for (const line of readFileSync(this.logs.file, 'utf8').split('\n')) {
			if (!line.startsWith('{')) continue;
			try {
				const parsed = JSON.parse(line) as Partial<N8nLogEntry>;
				entries.push({
					level: String(parsed.level ?? ''),
					message: String(parsed.message ?? ''),
					metadata: parsed.metadata ?? {},
				});
			} catch {
				// A line that only starts like JSON, for example from a dependency.
			}
		}
		return entries;
	}

	kill(signal: NodeJS.Signals): void {
		const pid = this.child?.pid;
		if (pid === undefined) return;
		try {
			process.kill(-pid, signal);
		} catch {
			// The group is already gone.
		}
	}

	async start(deadline: number): Promise<void> {
		const args = [this.runtime.n8nBin, COMMANDS[this.role]];
		if (this.role === 'worker' && this.options.workerConcurrency !== undefined) {
			args.push(`--concurrency=${this.options.workerConcurrency}`);
		}
		const child = spawn(this.runtime.nodeBin, args, {
			env: this.env,
			cwd: this.userFolder,
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		this.child = child;
		this.stopping = undefined;
		trackProcessGroup(child);
		this.logs.attach(child);

		const exited = new Promise<never>((_, reject) => {
			child.once('exit', (code, signal) =>
				reject(new Error(`${this.name} exited during start (code ${code}, signal ${signal})`)),
			);
		});
		exited.catch(() => undefined);
		const ready = (async () => {
			while (!(await isReady(this.baseUrl))) {
				if (Date.now() > deadline) throw new Error(`${this.name} was not ready in time`);
				await sleep(POLL_INTERVAL_MS);
			}
		})();
		await Promise.race([ready, exited]);
	}

	async stop(): Promise<void> {
		this.stopping ??= killProcessGroup(this.child);
		await this.stopping;
	}

	async restart(): Promise<void> {
		await this.stop();
		await this.start(Date.now() + (this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS));
	}

	closeLogs(): void {
		this.logs.close();
	}
}

/** Joins the logs of all processes into one, for the failure messages of waitForExecutions. */
function combinedLogs(processes: ManagedProcess[]): N8nLogs {
	return {
		file: processes.map((child) => child.logs.file).join(', '),
		lines: () => processes.flatMap((child) => child.logs.lines()),
		tail: (count = 40) =>
			processes
				.map((child) => `--- ${child.name} ---\n${child.logs.tail(Math.ceil(count / 2))}`)
				.join('\n'),
	};
}

/**
 * n8n's log messages about queued executions, in n8n 2.41.1: the process that receives a webhook
 * logs `Enqueued execution N (job J)`, and the worker that runs it logs `Worker started execution
 * N (job J)` and `Worker finished execution N (job J)`, each with `executionId` in its metadata.
 */
export type QueueLogMessage =
	'Enqueued execution' | 'Worker started execution' | 'Worker finished execution';

/** Ids of the executions about which a process logged the given message. */
export function loggedExecutionIds(child: QueueProcess, message: QueueLogMessage): Set<number> {
	const ids = new Set<number>();
	for (const entry of child.logEntries()) {
		if (!entry.message.startsWith(`${message} `)) continue;
		ids.add(Number(entry.metadata.executionId));
	}
	return ids;
}

/**
 * Counts the node runs a process logged per workflow (`Running node "X" finished successfully`);
 * these lines exist only with `nodeLogs`.
 */
export function nodeRunsByWorkflow(child: QueueProcess, nodeName: string): Map<string, number> {
	const message = `Running node "${nodeName}" finished successfully`;
	const counts = new Map<string, number>();
	for (const entry of child.logEntries()) {
		if (entry.message !== message) continue;
		const workflowId = String(entry.metadata.workflowId);
		counts.set(workflowId, (counts.get(workflowId) ?? 0) + 1);
	}
	return counts;
}

function once(action: () => Promise<void>): () => Promise<void> {
	let running: Promise<void> | undefined;
	return async () => {
		running ??= action();
		await running;
	};
}

async function sleep(ms: number): Promise<void> {
	await new Promise((resolve) => setTimeout(resolve, ms));
}
