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

/** n8n stores run data in the `flatted` format, so n8n's own copy of `flatted` parses it. */
const NODE_OUTPUT_SCRIPT = `
const [n8nPackageDir, nodeName] = process.argv.slice(1);
const { parse } = require(require.resolve('flatted', { paths: [n8nPackageDir] }));
const rows = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const outputs = {};
for (const [executionId, text] of rows) {
	const runs = (((parse(text) || {}).resultData || {}).runData || {})[nodeName] || [];
	outputs[executionId] = runs.flatMap((run) =>
		(((run.data || {}).main || [])[0] || []).map((item) => item.json),
	);
}
process.stdout.write(JSON.stringify(outputs));
`;

/**
 * Returns the JSON of the items a node output in each listed execution, read from n8n's execution
 * records. An execution without a run of that node maps to an empty array.
 */
export async function readNodeOutputs(
	runtime: N8nRuntime,
	query: SqlQuery,
	executionIds: number[],
	nodeName: string,
): Promise<Map<number, unknown[]>> {
	const data = await readExecutionData(query, executionIds);
	const stdout = await new Promise<string>((resolve, reject) => {
		const child = execFile(
			runtime.nodeBin,
			[
				'--no-warnings',
				'-e',
				NODE_OUTPUT_SCRIPT,
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
	const parsed = JSON.parse(stdout) as Record<string, unknown[]>;
	const outputs = new Map<number, unknown[]>();
	for (const id of executionIds) outputs.set(id, parsed[String(id)] ?? []);
	return outputs;
}
