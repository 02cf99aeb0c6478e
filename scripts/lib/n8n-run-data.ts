import { execFile } from 'child_process';
import { join } from 'path';

import type { SqlQuery } from './n8n-database';
import type { N8nRuntime } from './n8n-install';

/** Returns each listed execution's stored run data as text, keyed by execution id. */
export async function readExecutionData(
	query: SqlQuery,
	executionIds: number[],
): Promise<Map<number, string>> {
	const data = new Map<number, string>();
	if (executionIds.length === 0) return data;
	const placeholders = executionIds.map(() => '?').join(', ');
	const rows = await query<{ executionId: number | string; data: string }>(
		`SELECT "executionId", data FROM execution_data WHERE "executionId" IN (${placeholders})`,
		executionIds,
	);
	for (const row of rows) data.set(Number(row.executionId), row.data);
	return data;
}

/** Metadata of one binary property of an item; the bytes stay where n8n stored them. */
export interface BinaryReference {
	/** Where n8n stored the bytes, such as `database:...` or `filesystem-v2:...`; unset in memory. */
	id?: string;
	mimeType?: string;
	fileName?: string;
	fileSize?: string;
}

/** One item a node output: its JSON and the metadata of its binary properties. */
export interface NodeItem {
	json: unknown;
	binary: Record<string, BinaryReference>;
}

/**
 * n8n stores run data in the `flatted` format, so n8n's own copy of `flatted` parses it. Binary
 * properties lose their `data`, which holds the bytes themselves in n8n's in-memory mode.
 */
const NODE_ITEMS_SCRIPT = `
const [n8nPackageDir, nodeName] = process.argv.slice(1);
const { parse } = require(require.resolve('flatted', { paths: [n8nPackageDir] }));
const rows = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const outputs = {};
for (const [executionId, text] of rows) {
	const runs = (((parse(text) || {}).resultData || {}).runData || {})[nodeName] || [];
	outputs[executionId] = runs.flatMap((run) =>
		(((run.data || {}).main || [])[0] || []).map((item) => {
			const binary = {};
			for (const [key, value] of Object.entries(item.binary || {})) {
				const { data, ...metadata } = value;
				binary[key] = metadata;
			}
			return { json: item.json, binary };
		}),
	);
}
process.stdout.write(JSON.stringify(outputs));
`;

/**
 * Returns the items a node output in each listed execution, read from n8n's execution records.
 * An execution without a run of that node maps to an empty array.
 */
export async function readNodeItems(
	runtime: N8nRuntime,
	query: SqlQuery,
	executionIds: number[],
	nodeName: string,
): Promise<Map<number, NodeItem[]>> {
	const data = await readExecutionData(query, executionIds);
	const stdout = await new Promise<string>((resolve, reject) => {
		const child = execFile(
			runtime.nodeBin,
			[
				'--no-warnings',
				'-e',
				NODE_ITEMS_SCRIPT,
				join(runtime.dir, 'node_modules', 'n8n'),
				nodeName,
			],
			{ maxBuffer: 256 * 1024 * 1024 },
			(error, out, stderr) => {
				if (error) reject(new Error(`Reading the output of ${nodeName} failed: ${stderr}`));
				else resolve(out);
			},
		);
		child.stdin?.end(JSON.stringify([...data.entries()]));
	});
	const parsed = JSON.parse(stdout) as Record<string, NodeItem[]>;
	const items = new Map<number, NodeItem[]>();
	for (const id of executionIds) items.set(id, parsed[String(id)] ?? []);
	return items;
}

/** Returns the JSON of the items a node output in each listed execution, as readNodeItems. */
export async function readNodeOutputs(
	runtime: N8nRuntime,
	query: SqlQuery,
	executionIds: number[],
	nodeName: string,
): Promise<Map<number, unknown[]>> {
	const items = await readNodeItems(runtime, query, executionIds, nodeName);
	const outputs = new Map<number, unknown[]>();
	for (const [id, list] of items)
		outputs.set(
			id,
			list.map((item) => item.json),
		);
	return outputs;
}
