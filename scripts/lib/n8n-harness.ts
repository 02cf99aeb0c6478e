import { execFile, execFileSync, spawn, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import {
	cpSync,
	createWriteStream,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	writeFileSync,
	type WriteStream,
} from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { dirname, join } from 'path';

import {
	FINAL_STATUSES,
	listExecutions,
	readExecutionFailure,
	readPublicationStatesWith,
	sqliteQuery,
	type ExecutionFailure,
	type ExecutionSummary,
	type SqlQuery,
} from './n8n-database';
import { ensureN8nInstalled, PROJECT_DIR, type N8nLine, type N8nRuntime } from './n8n-install';

export type { ExecutionFailure, ExecutionStatus, ExecutionSummary } from './n8n-database';
export type { N8nLine, N8nRuntime } from './n8n-install';

/**
 * How the built package reaches n8n. `custom` copies dist/ into `~/.n8n/custom/`, where node types
 * are `CUSTOM.<name>`. `community` unpacks the `npm pack` tarball into
 * `~/.n8n/nodes/node_modules/<package>/`. n8n scans that folder at start and loads it with the
 * loader used for packages installed from its Settings page, so node types are `<package>.<name>`.
 */
export type PackageMode = 'custom' | 'community';

export interface StartN8nOptions {
	packageMode: PackageMode;
	/** n8n release line; 2 (n8n 2.41.1 on Node 24) by default. */
	line?: N8nLine;
	/** Extra environment for every n8n process; it overrides the harness defaults. */
	env?: Record<string, string>;
	/** Credentials for `n8n import:credentials`; plain `data` is encrypted on import. */
	credentials?: object[];
	/** Workflows for `n8n import:workflow`; each needs an `id` to be published. */
	workflows?: object[];
	/** Ids of imported workflows to make live before n8n starts. */
	publish?: string[];
	/** Tarball to install in community mode; by default the package is packed with `npm pack`. */
	tarball?: string;
	/**
	 * Folder of the package to load: its dist/, or in community mode its `npm pack` tarball. This
	 * project by default, or KARLA_PACKAGE_DIR when set, for example to check an unpacked release.
	 */
	packageDir?: string;
	/** Receives progress lines; defaults to standard error. */
	onProgress?: (line: string) => void;
	/** Limit for n8n to become ready and activate the published workflows. */
	startTimeoutMs?: number;
	/** Keeps the user folder after stop(); also set by KARLA_N8N_KEEP=1. */
	keepUserFolder?: boolean;
}

export interface N8nLogs {
	/** Log file of `n8n start` inside the user folder (gone after stop() unless kept). */
	file: string;
	/** Every line n8n wrote so far, at most the last 5000. */
	lines(): string[];
	/** The last lines, joined, for error messages. */
	tail(count?: number): string;
}

export interface WaitForExecutionsOptions {
	workflowId?: string;
	/** Number of finished executions to wait for. */
	count: number;
	timeoutMs?: number;
}

export interface RunningN8n {
	runtime: N8nRuntime;
	packageMode: PackageMode;
	/** For example `http://127.0.0.1:41234`; the editor is served there too. */
	baseUrl: string;
	/** Production URL of a webhook path, for example `webhookUrl('<webhookId>/karla')`. */
	webhookUrl(path: string): string;
	userFolder: string;
	databasePath: string;
	logs: N8nLogs;
	/** Executions n8n recorded, in id order, optionally of one workflow. */
	executions(workflowId?: string): Promise<ExecutionSummary[]>;
	/** Polls until `count` executions have a final status; throws with the log tail on timeout. */
	waitForExecutions(options: WaitForExecutionsOptions): Promise<ExecutionSummary[]>;
	/** Last node and error message of one execution, for failure messages. */
	executionFailure(executionId: number): Promise<ExecutionFailure>;
	/** Stops n8n and its child processes; safe to call more than once. */
	stop(): Promise<void>;
}

const MAX_LOG_LINES = 5000;
const DEFAULT_START_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 10_000;
const POLL_INTERVAL_MS = 200;

/** Returns a node type as a workflow refers to it under the given package mode. */
export function packageNodeType(mode: PackageMode, nodeName: string): string {
	return `${mode === 'custom' ? 'CUSTOM' : readPackageJson().name}.${nodeName}`;
}

/**
 * Starts n8n on 127.0.0.1 with free ports, a fresh user folder and this project's built package.
 * It imports the given credentials and workflows, publishes the listed workflows, and resolves
 * once n8n is ready and those workflows are live. On failure it stops n8n and throws an error
 * that ends with n8n's log tail.
 */
export async function startN8n(options: StartN8nOptions): Promise<RunningN8n> {
	const progress = options.onProgress ?? ((text: string) => process.stderr.write(`${text}\n`));
	const runtime = await ensureN8nInstalled({ line: options.line, onProgress: progress });
	const keep = options.keepUserFolder ?? process.env.KARLA_N8N_KEEP === '1';

	const userFolder = mkdtempSync(join(tmpdir(), 'karla-n8n-'));
	const n8nFolder = join(userFolder, '.n8n');
	mkdirSync(n8nFolder, { recursive: true });
	const logs = new LogBuffer(join(userFolder, 'n8n.log'));
	const cleanup = { child: undefined as ChildProcess | undefined };

	const stop = once(async () => {
		await killProcessGroup(cleanup.child);
		logs.close();
		if (!keep) rmSync(userFolder, { recursive: true, force: true });
	});

	try {
		progress(
			`[n8n] n8n ${runtime.n8nVersion} on Node ${runtime.nodeVersion}, user folder ${userFolder}`,
		);
		installPackage(options, n8nFolder, progress);

		const port = await findFreePort();
		let brokerPort = await findFreePort();
		// The system may hand out a just-released port again.
		while (brokerPort === port) brokerPort = await findFreePort();
		const baseUrl = `http://127.0.0.1:${port}`;
		const env = buildEnv(runtime, userFolder, port, brokerPort, baseUrl, options.env);

		await importAndPublish(runtime, env, userFolder, options, progress);

		progress(`[n8n] starting n8n on ${baseUrl}`);
		const startedAt = Date.now();
		const child = spawn(runtime.nodeBin, [runtime.n8nBin, 'start'], {
			env,
			cwd: userFolder,
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		cleanup.child = child;
		trackProcessGroup(child);
		logs.attach(child);

		await waitUntilLive(progress, runtime, env, baseUrl, child, logs, options, startedAt);
		progress(`[n8n] ready after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);

		const databasePath = join(n8nFolder, 'database.sqlite');
		const executions = async (workflowId?: string) =>
			await listExecutions(runtime.nodeBin, databasePath, workflowId);

		return {
			runtime,
			packageMode: options.packageMode,
			baseUrl,
			webhookUrl: (path: string) => `${baseUrl}/webhook/${path.replace(/^\/+/, '')}`,
			userFolder,
			databasePath,
			logs,
			executions,
			waitForExecutions: async (wait) => await waitForExecutions(executions, logs, wait),
			executionFailure: async (executionId: number) =>
				await readExecutionFailure(runtime.nodeBin, runtime.dir, databasePath, executionId),
			stop,
		};
	} catch (error: unknown) {
		const message = error instanceof Error ? error.message : String(error);
		await stop();
		const kept = keep ? `\n(user folder kept: ${userFolder})` : '';
		throw new Error(`${message}\n--- n8n log tail ---\n${logs.tail(60)}${kept}`);
	}
}

function readPackageJson(packageDir: string = PROJECT_DIR): { name: string; version: string } {
	return JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
		name: string;
		version: string;
	};
}

export function installPackage(
	options: Pick<StartN8nOptions, 'packageMode' | 'tarball' | 'packageDir'>,
	n8nFolder: string,
	progress: (line: string) => void,
): void {
	const packageDir = options.packageDir ?? process.env.KARLA_PACKAGE_DIR ?? PROJECT_DIR;
	const distDir = join(packageDir, 'dist');
	if (!existsSync(join(distDir, 'nodes'))) {
		throw new Error(`${distDir} has no built nodes: run npm run build first`);
	}

	if (options.packageMode === 'custom') {
		const customDir = join(n8nFolder, 'custom');
		cpSync(distDir, customDir, { recursive: true });
		progress(`[n8n] copied dist/ into ${customDir}`);
		return;
	}

	const { name, version } = readPackageJson(packageDir);
	const nodesDir = join(n8nFolder, 'nodes');
	const installDir = join(nodesDir, 'node_modules', name);
	mkdirSync(installDir, { recursive: true });
	const tarball = options.tarball ?? packProject(join(n8nFolder, 'pack'), packageDir);
	execFileSync('tar', ['-xzf', tarball, '-C', installDir, '--strip-components=1']);
	// n8n keeps this manifest of installed community packages; it writes the same shape itself
	// after an install from its Settings page.
	writeFileSync(
		join(nodesDir, 'package.json'),
		JSON.stringify(
			{ name: 'installed-nodes', private: true, dependencies: { [name]: version } },
			null,
			2,
		),
	);
	progress(`[n8n] unpacked ${tarball} into ${installDir}`);
}

/** Packs a package folder with `npm pack` into `destination` and returns the tarball path. */
export function packProject(destination: string, packageDir: string = PROJECT_DIR): string {
	mkdirSync(destination, { recursive: true });
	const output = execFileSync(
		'npm',
		['pack', '--json', '--pack-destination', destination, '--loglevel=error'],
		{ cwd: packageDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
	);
	const [packed] = JSON.parse(output) as Array<{ filename: string }>;
	return join(destination, packed.filename);
}

/** Builds the environment of every n8n process of one instance: ports, folder, key, defaults. */
export function buildEnv(
	runtime: N8nRuntime,
	userFolder: string,
	port: number,
	brokerPort: number,
	baseUrl: string,
	extra: Record<string, string> | undefined,
): NodeJS.ProcessEnv {
	const inherited: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env)) {
		// Settings of another n8n in the caller's environment must not leak into this one.
		if (/^(N8N_|DB_|EXECUTIONS_|QUEUE_|WEBHOOK_URL$|NODE_OPTIONS$|NODE_PATH$)/.test(key)) continue;
		inherited[key] = value;
	}
	return {
		...inherited,
		PATH: `${dirname(runtime.nodeBin)}:${process.env.PATH ?? ''}`,
		NODE_ENV: 'production',
		NO_COLOR: '1',
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_EDITOR_BASE_URL: baseUrl,
		WEBHOOK_URL: `${baseUrl}/`,
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_SECURE_COOKIE: 'false',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
		// The MCP server registry refreshes from n8n's public API at start. n8n 1.123.81 has no
		// such module and refuses to start when it is named.
		...(runtime.line === 2 ? { N8N_DISABLED_MODULES: 'mcp-registry' } : {}),
		N8N_PYTHON_ENABLED: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
		EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
		N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '5',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		...extra,
	};
}

export async function importAndPublish(
	runtime: N8nRuntime,
	env: NodeJS.ProcessEnv,
	userFolder: string,
	options: Pick<StartN8nOptions, 'credentials' | 'workflows' | 'publish'>,
	progress: (line: string) => void,
): Promise<void> {
	const importDir = join(userFolder, 'import');
	mkdirSync(importDir, { recursive: true });
	const credentials = options.credentials ?? [];
	const workflows = options.workflows ?? [];
	const timed = async (label: string, args: string[]) => {
		const startedAt = Date.now();
		await runN8nCommand(runtime, env, args);
		progress(`[n8n] ${label} (${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
	};

	// The first command on a new user folder creates the database and runs every migration, so it
	// runs alone. The commands after it touch separate rows, so they run in parallel.
	const imports: Array<[string, string[]]> = [];
	if (credentials.length > 0) {
		const file = join(importDir, 'credentials.json');
		writeFileSync(file, JSON.stringify(credentials));
		imports.push([
			`imported ${credentials.length} credential(s)`,
			['import:credentials', `--input=${file}`],
		]);
	}
	if (workflows.length > 0) {
		const file = join(importDir, 'workflows.json');
		writeFileSync(file, JSON.stringify(workflows));
		imports.push([
			`imported ${workflows.length} workflow(s)`,
			['import:workflow', `--input=${file}`],
		]);
	}
	if (imports.length > 0) {
		progress('[n8n] creating the database and importing (first run of migrations)');
		await timed(...imports[0]);
		await Promise.all(imports.slice(1).map(async ([label, args]) => await timed(label, args)));
	}

	await Promise.all(
		(options.publish ?? []).map(async (id) => {
			const args =
				runtime.line === 1
					? ['update:workflow', `--id=${id}`, '--active=true']
					: ['publish:workflow', `--id=${id}`];
			await timed(`published workflow ${id}`, args);
		}),
	);
}

/** Runs one n8n CLI command with the instance's environment; throws with its output on failure. */
async function runN8nCommand(
	runtime: N8nRuntime,
	env: NodeJS.ProcessEnv,
	args: string[],
): Promise<string> {
	return await new Promise<string>((resolve, reject) => {
		execFile(
			runtime.nodeBin,
			[runtime.n8nBin, ...args],
			{ env, maxBuffer: 16 * 1024 * 1024 },
			(error, stdout, stderr) => {
				const output = `${stdout}${stderr}`;
				// Some commands log an error and still exit with 0.
				if (error || /^Error\b|\berror updating database\b/im.test(output)) {
					reject(new Error(`n8n ${args.join(' ')} failed:\n${lastLines(output, 40)}`));
				} else {
					resolve(output);
				}
			},
		);
	});
}

async function waitUntilLive(
	progress: (line: string) => void,
	runtime: N8nRuntime,
	env: NodeJS.ProcessEnv,
	baseUrl: string,
	child: ChildProcess,
	logs: LogBuffer,
	options: StartN8nOptions,
	startedAt: number,
): Promise<void> {
	const deadline = startedAt + (options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
	const exited = new Promise<never>((_, reject) => {
		child.once('exit', (code, signal) =>
			reject(new Error(`n8n exited during start (code ${code}, signal ${signal})`)),
		);
	});
	exited.catch(() => undefined);

	const ready = (async () => {
		while (!(await isReady(baseUrl))) {
			if (Date.now() > deadline) throw new Error(`n8n was not ready at ${baseUrl} in time`);
			await sleep(POLL_INTERVAL_MS);
		}
		progress(
			`[n8n] readiness check passed after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
		);
		// n8n 1.x activates workflows before it prints the editor URL. n8n 2.x activates them
		// after readiness, and records the outcome per workflow in its publication tables.
		if (runtime.line === 1) {
			while (!logs.lines().some((line) => line.includes('Editor is now accessible'))) {
				if (Date.now() > deadline) throw new Error('n8n did not finish activating workflows');
				await sleep(POLL_INTERVAL_MS);
			}
			return;
		}
		const databasePath = join(String(env.N8N_USER_FOLDER), '.n8n', 'database.sqlite');
		const query = sqliteQuery(runtime.nodeBin, databasePath);
		await waitForPublications(query, options.publish ?? [], deadline);
	})();

	await Promise.race([ready, exited]);
}

/** Polls n8n 2.x's publication tables until every listed workflow is activated. */
export async function waitForPublications(
	query: SqlQuery,
	workflowIds: string[],
	deadline: number,
): Promise<void> {
	if (workflowIds.length === 0) return;
	for (;;) {
		const states = await readPublicationStatesWith(query, workflowIds);
		const failed = [...states.entries()].filter(
			([, state]) => state.status === 'failed' || state.status === 'partial_success',
		);
		if (failed.length > 0) {
			const details = failed
				.map(([id, state]) => `${id}: ${state.status} ${state.errors.join('; ')}`)
				.join('\n');
			throw new Error(`n8n could not activate published workflows:\n${details}`);
		}
		const done = workflowIds.every((id) => states.get(id)?.status === 'completed');
		if (done) return;
		if (Date.now() > deadline) {
			throw new Error(`n8n did not activate workflows ${workflowIds.join(', ')} in time`);
		}
		await sleep(POLL_INTERVAL_MS);
	}
}

export async function isReady(baseUrl: string): Promise<boolean> {
	try {
		const response = await fetch(`${baseUrl}/healthz/readiness`, {
			signal: AbortSignal.timeout(2000),
		});
		return response.status === 200;
	} catch {
		return false;
	}
}

export async function waitForExecutions(
	executions: (workflowId?: string) => Promise<ExecutionSummary[]>,
	logs: N8nLogs,
	options: WaitForExecutionsOptions,
): Promise<ExecutionSummary[]> {
	const deadline = Date.now() + (options.timeoutMs ?? 60_000);
	for (;;) {
		const all = await executions(options.workflowId);
		const finished = all.filter((execution) => FINAL_STATUSES.includes(execution.status));
		if (finished.length >= options.count) return all;
		if (Date.now() > deadline) {
			const statuses = all.map((execution) => `${execution.id}:${execution.status}`).join(' ');
			throw new Error(
				`Expected ${options.count} finished executions, found ${finished.length} ` +
					`(all: ${statuses || 'none'})\n--- n8n log tail ---\n${logs.tail(40)}`,
			);
		}
		await sleep(POLL_INTERVAL_MS);
	}
}

export interface OwnerAccount {
	email: string;
	/** At least 8 characters with a number and a capital letter, as n8n requires. */
	password: string;
	firstName?: string;
	lastName?: string;
}

/**
 * Creates the instance owner through n8n's owner setup endpoint, so that a person can log in to
 * the editor; workflows imported before belong to that owner. Works once per user folder.
 */
export async function createOwner(baseUrl: string, owner: OwnerAccount): Promise<void> {
	const response = await fetch(`${baseUrl}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ firstName: 'Demo', lastName: 'Owner', ...owner }),
	});
	if (!response.ok) {
		throw new Error(
			`n8n owner setup failed with HTTP ${response.status}: ${await response.text()}`,
		);
	}
}

/** Finds a free TCP port on 127.0.0.1 by binding port 0 and releasing it. */
export async function findFreePort(): Promise<number> {
	return await new Promise<number>((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address !== null ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

export class LogBuffer implements N8nLogs {
	private readonly buffer: string[] = [];
	private readonly stream: WriteStream;
	private partial = '';

	constructor(readonly file: string) {
		this.stream = createWriteStream(file, { flags: 'a' });
	}

	attach(child: ChildProcess): void {
		const onData = (chunk: Buffer) => {
			this.stream.write(chunk);
			const text = this.partial + chunk.toString('utf8');
			const lines = text.split('\n');
			this.partial = lines.pop() ?? '';
			for (const line of lines) this.push(line);
		};
		child.stdout?.on('data', onData);
		child.stderr?.on('data', onData);
	}

	lines(): string[] {
		return this.partial === '' ? [...this.buffer] : [...this.buffer, this.partial];
	}

	tail(count = 40): string {
		return this.lines().slice(-count).join('\n');
	}

	close(): void {
		this.stream.end();
	}

	private push(line: string): void {
		this.buffer.push(line);
		if (this.buffer.length > MAX_LOG_LINES)
			this.buffer.splice(0, this.buffer.length - MAX_LOG_LINES);
	}
}

// Process groups of every n8n started by this process, killed on exit even when a test or the
// demo never reaches its stop() call.
const liveGroups = new Set<number>();
let exitHooksInstalled = false;

export function trackProcessGroup(child: ChildProcess): void {
	if (child.pid === undefined) return;
	const pid = child.pid;
	// The group stays tracked after the leader exits, because its children may still run until
	// killProcessGroup has swept it.
	liveGroups.add(pid);
	installExitHooks();
}

function killAllGroupsNow(): void {
	for (const pid of liveGroups) signalGroup(pid, 'SIGKILL');
	liveGroups.clear();
}

function installExitHooks(): void {
	if (exitHooksInstalled) return;
	exitHooksInstalled = true;
	process.on('exit', killAllGroupsNow);
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		const handler = () => {
			killAllGroupsNow();
			// Without another listener for the signal, its default effect (ending the process) stays.
			if (process.listenerCount(signal) === 1) {
				process.off(signal, handler);
				process.kill(process.pid, signal);
			}
		};
		process.on(signal, handler);
	}
}

function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
	try {
		process.kill(-pid, signal);
		return true;
	} catch {
		return false;
	}
}

export async function killProcessGroup(child: ChildProcess | undefined): Promise<void> {
	if (child?.pid === undefined) return;
	const pid = child.pid;
	if (child.exitCode === null && child.signalCode === null) {
		let graceTimer: NodeJS.Timeout | undefined;
		const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
		// The grace timer is cleared once n8n exits, so it does not keep a test runner alive.
		const graceOver = new Promise<void>((resolve) => {
			graceTimer = setTimeout(resolve, STOP_GRACE_MS);
		});
		signalGroup(pid, 'SIGTERM');
		await Promise.race([exited, graceOver]);
		clearTimeout(graceTimer);
	}
	// Sweeps the task runner and anything else n8n started, also when n8n itself already exited.
	signalGroup(pid, 'SIGKILL');
	liveGroups.delete(pid);
}

function once(action: () => Promise<void>): () => Promise<void> {
	let running: Promise<void> | undefined;
	return async () => {
		running ??= action();
		await running;
	};
}

function lastLines(text: string, count: number): string {
	return text.trimEnd().split('\n').slice(-count).join('\n');
}

async function sleep(ms: number): Promise<void> {
	await new Promise((resolve) => setTimeout(resolve, ms));
}
