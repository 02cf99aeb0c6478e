import { execFile } from 'child_process';

/**
 * Read-only queries on a running n8n's SQLite database. The system Node.js may lack `node:sqlite`
 * (Node 20 does), so each query runs in a short-lived process of the Node.js that runs n8n
 * (22.13 or later ships `node:sqlite` without a flag). n8n 2.x keeps the database in WAL mode, so
 * these reads do not block its writes. A busy timeout covers the moments a checkpoint holds a
 * lock. One query took 60 to 80 ms on a busy 2-core machine, mostly process start.
 */

export type ExecutionStatus =
	'new' | 'running' | 'success' | 'error' | 'crashed' | 'canceled' | 'waiting' | 'unknown';

/** One row of n8n's `execution_entity` table. */
export interface ExecutionSummary {
	id: number;
	workflowId: string;
	status: ExecutionStatus;
	mode: string;
	finished: boolean;
	startedAt: string | null;
	stoppedAt: string | null;
}

/** Statuses after which an execution no longer changes on its own. */
export const FINAL_STATUSES: readonly ExecutionStatus[] = [
	'success',
	'error',
	'crashed',
	'canceled',
];

const QUERY_SCRIPT = `
const { DatabaseSync } = require('node:sqlite');
const [databasePath, sql, paramsJson] = process.argv.slice(1);
const db = new DatabaseSync(databasePath, { readOnly: true });
db.exec('PRAGMA busy_timeout = 5000');
const rows = db.prepare(sql).all(...JSON.parse(paramsJson));
db.close();
process.stdout.write(JSON.stringify(rows));
`;

export type SqlParam = string | number | null;

/**
 * Runs one SQL query on n8n's database and returns its rows. The functions below write SQL that
 * SQLite and PostgreSQL both accept: camelCase identifiers double-quoted, `?` placeholders.
 */
export type SqlQuery = <Row>(sql: string, params?: SqlParam[]) => Promise<Row[]>;

/** Returns a query function on the SQLite database of a single n8n. */
export function sqliteQuery(nodeBin: string, databasePath: string): SqlQuery {
	return async <Row>(sql: string, params: SqlParam[] = []) =>
		await querySqlite<Row>(nodeBin, databasePath, sql, params);
}

/** Runs one read-only SQL query and returns its rows. */
export async function querySqlite<Row>(
	nodeBin: string,
	databasePath: string,
	sql: string,
	params: SqlParam[] = [],
): Promise<Row[]> {
	const stdout = await new Promise<string>((resolve, reject) => {
		execFile(
			nodeBin,
			['--no-warnings', '-e', QUERY_SCRIPT, databasePath, sql, JSON.stringify(params)],
			{ maxBuffer: 64 * 1024 * 1024 },
			(error, out, stderr) => {
				if (error) reject(new Error(`SQLite query failed: ${sql}\n${stderr || error.message}`));
				else resolve(out);
			},
		);
	});
	return JSON.parse(stdout) as Row[];
}

interface ExecutionRow {
	id: number | string;
	workflowId: string;
	status: string | null;
	mode: string;
	/** 0 or 1 in SQLite, a boolean in PostgreSQL. */
	finished: number | boolean;
	startedAt: string | null;
	stoppedAt: string | null;
}

/** Lists executions in id order, optionally of one workflow; soft-deleted ones are left out. */
export async function listExecutions(
	nodeBin: string,
	databasePath: string,
	workflowId?: string,
): Promise<ExecutionSummary[]> {
	return await listExecutionsWith(sqliteQuery(nodeBin, databasePath), workflowId);
}

/** Does what listExecutions does, on any database. */
export async function listExecutionsWith(
	query: SqlQuery,
	workflowId?: string,
): Promise<ExecutionSummary[]> {
	const where = workflowId === undefined ? '' : 'AND "workflowId" = ?';
	const rows = await query<ExecutionRow>(
		`SELECT id, "workflowId", status, mode, finished, "startedAt", "stoppedAt"
		 FROM execution_entity WHERE "deletedAt" IS NULL ${where} ORDER BY id`,
		workflowId === undefined ? [] : [workflowId],
	);
	return rows.map((row) => ({
		// PostgreSQL's driver returns some integer columns as strings.
		id: Number(row.id),
		workflowId: row.workflowId,
		status: (row.status ?? 'unknown') as ExecutionStatus,
		mode: row.mode,
		finished: row.finished === 1 || row.finished === true,
		startedAt: row.startedAt,
		stoppedAt: row.stoppedAt,
	}));
}

/** Error details n8n stored for a failed execution: the last node that ran and its error. */
export interface ExecutionFailure {
	lastNodeExecuted: string | null;
	errorMessage: string | null;
	errorDescription: string | null;
}

/**
 * Reads the error of one execution from `execution_data`. n8n stores run data in the `flatted`
 * format, so the parse runs in the n8n Node.js process with n8n's own copy of `flatted`.
 */
export async function readExecutionFailure(
	nodeBin: string,
	n8nDir: string,
	databasePath: string,
	executionId: number,
): Promise<ExecutionFailure> {
	return await readExecutionFailureWith(
		sqliteQuery(nodeBin, databasePath),
		nodeBin,
		n8nDir,
		executionId,
	);
}

/** Does what readExecutionFailure does, on any database. */
export async function readExecutionFailureWith(
	query: SqlQuery,
	nodeBin: string,
	n8nDir: string,
	executionId: number,
): Promise<ExecutionFailure> {
	const rows = await query<{ data: string }>(
		'SELECT data FROM execution_data WHERE "executionId" = ?',
		[executionId],
	);
	if (rows.length === 0)
		return { lastNodeExecuted: null, errorMessage: null, errorDescription: null };

	const script = `
const { parse } = require(require.resolve('flatted', { paths: [process.argv[1]] }));
const data = parse(require('fs').readFileSync(0, 'utf8'));
const result = (data && data.resultData) || {};
const error = result.error || {};
process.stdout.write(JSON.stringify({
	lastNodeExecuted: result.lastNodeExecuted || null,
	errorMessage: error.message || null,
	errorDescription: error.description || null,
}));
`;
	return await new Promise<ExecutionFailure>((resolve, reject) => {
		const child = execFile(
			nodeBin,
			['--no-warnings', '-e', script, `${n8nDir}/node_modules/n8n`],
			{ maxBuffer: 64 * 1024 * 1024 },
			(error, out, stderr) => {
				if (error) reject(new Error(`Reading execution ${executionId} failed: ${stderr}`));
				else resolve(JSON.parse(out) as ExecutionFailure);
			},
		);
		child.stdin?.end(rows[0].data);
	});
}

interface PublicationRow {
	workflowId: string;
	status: string;
	errorMessage: string | null;
}

/** State of the startup activation of each listed workflow, as n8n 2.x records it. */
export async function readPublicationStates(
	nodeBin: string,
	databasePath: string,
	workflowIds: string[],
): Promise<Map<string, { status: string; errors: string[] }>> {
	return await readPublicationStatesWith(sqliteQuery(nodeBin, databasePath), workflowIds);
}

/** Does what readPublicationStates does, on any database. */
export async function readPublicationStatesWith(
	query: SqlQuery,
	workflowIds: string[],
): Promise<Map<string, { status: string; errors: string[] }>> {
	const placeholders = workflowIds.map(() => '?').join(', ');
	const outbox = await query<PublicationRow>(
		`SELECT "workflowId", status, "errorMessage" FROM workflow_publication_outbox
		 WHERE "workflowId" IN (${placeholders}) ORDER BY id`,
		workflowIds,
	);
	const triggers = await query<PublicationRow>(
		`SELECT "workflowId", status, "errorMessage" FROM workflow_publication_trigger_status
		 WHERE "workflowId" IN (${placeholders})`,
		workflowIds,
	);

	const states = new Map<string, { status: string; errors: string[] }>();
	for (const row of outbox) {
		// Later rows replace earlier ones, so each workflow keeps its latest publication.
		states.set(row.workflowId, {
			status: row.status,
			errors: row.errorMessage ? [row.errorMessage] : [],
		});
	}
	for (const trigger of triggers) {
		if (trigger.status === 'activated' || trigger.errorMessage === null) continue;
		states.get(trigger.workflowId)?.errors.push(trigger.errorMessage);
	}
	return states;
}
