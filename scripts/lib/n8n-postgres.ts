import { execFile } from 'child_process';
import { join } from 'path';

import type { SqlParam, SqlQuery } from './n8n-database';
import type { N8nRuntime } from './n8n-install';

export interface PostgresConnection {
	host: string;
	port: number;
	user: string;
	password: string;
	database: string;
}

/**
 * Runs one query with n8n's own copy of `pg` in a short-lived process of the Node.js that runs
 * n8n, so the project needs no PostgreSQL client. `?` placeholders become `$1`, `$2`, ..., so the
 * same SQL serves SQLite and PostgreSQL when identifiers are double-quoted. The password travels
 * in the child's environment, not on its command line.
 */
const QUERY_SCRIPT = `
const [n8nPackageDir, connectionJson, sql, paramsJson] = process.argv.slice(1);
const { Client } = require(require.resolve('pg', { paths: [n8nPackageDir] }));
(async () => {
	const client = new Client({ ...JSON.parse(connectionJson), password: process.env.PGPASSWORD });
	await client.connect();
	try {
		const result = await client.query(sql, JSON.parse(paramsJson));
		process.stdout.write(JSON.stringify(result.rows));
	} finally {
		await client.end();
	}
})().catch((error) => {
	process.stderr.write(String(error && error.message ? error.message : error));
	process.exit(1);
});
`;

/** Returns a query function on an n8n database in PostgreSQL. One query takes about 100 ms. */
export function postgresQuery(runtime: N8nRuntime, connection: PostgresConnection): SqlQuery {
	const n8nPackageDir = join(runtime.dir, 'node_modules', 'n8n');
	const { password, ...withoutPassword } = connection;
	return async <Row>(sql: string, params: SqlParam[] = []): Promise<Row[]> => {
		let index = 0;
		const numbered = sql.replace(/\?/g, () => `$${++index}`);
		const stdout = await new Promise<string>((resolve, reject) => {
			execFile(
				runtime.nodeBin,
				[
					'--no-warnings',
					'-e',
					QUERY_SCRIPT,
					n8nPackageDir,
					JSON.stringify(withoutPassword),
					numbered,
					JSON.stringify(params),
				],
				{ env: { ...process.env, PGPASSWORD: password }, maxBuffer: 256 * 1024 * 1024 },
				(error, out, stderr) => {
					if (error)
						reject(new Error(`PostgreSQL query failed: ${sql}\n${stderr || error.message}`));
					else resolve(out);
				},
			);
		});
		return JSON.parse(stdout) as Row[];
	};
}
