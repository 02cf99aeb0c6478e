import { execFile } from 'child_process';
import { join } from 'path';

import { PROJECT_DIR } from './n8n-install';

/** PostgreSQL and Redis as `scripts/queue-services.sh start` reports them. */
export interface QueueServices {
	postgres: { host: string; port: number; user: string; password: string; database: string };
	redis: { host: string; port: number };
	/** True when this call started at least one of them, so the caller should stop them. */
	startedHere: boolean;
}

const SCRIPT = join(PROJECT_DIR, 'scripts', 'queue-services.sh');

/**
 * Runs `scripts/queue-services.sh` with the given arguments and returns its standard output.
 * Progress lines go to `onProgress`; the first run installs Debian's packages with apt-get.
 */
export async function runQueueServicesScript(
	args: string[],
	onProgress: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<string> {
	return await new Promise<string>((resolve, reject) => {
		execFile(
			'bash',
			[SCRIPT, ...args],
			{ cwd: PROJECT_DIR, maxBuffer: 16 * 1024 * 1024 },
			(error, stdout, stderr) => {
				for (const line of stderr.split('\n')) if (line.trim() !== '') onProgress(line);
				if (error) {
					reject(new Error(`scripts/queue-services.sh ${args.join(' ')} failed: ${error.message}`));
				} else {
					resolve(stdout);
				}
			},
		);
	});
}

/** Starts PostgreSQL and Redis, or finds them running, and returns their settings. */
export async function startQueueServices(
	onProgress?: (line: string) => void,
): Promise<QueueServices> {
	const output = await runQueueServicesScript(['start'], onProgress);
	const settings = new Map<string, string>();
	for (const line of output.split('\n')) {
		const separator = line.indexOf('=');
		if (separator > 0) settings.set(line.slice(0, separator), line.slice(separator + 1));
	}
	const read = (key: string): string => {
		const value = settings.get(key);
		if (value === undefined || value === '') {
			throw new Error(`scripts/queue-services.sh start printed no ${key}:\n${output}`);
		}
		return value;
	};
	return {
		postgres: {
			host: read('KARLA_PG_HOST'),
			port: Number(read('KARLA_PG_PORT')),
			user: read('KARLA_PG_USER'),
			password: read('KARLA_PG_PASSWORD'),
			database: read('KARLA_PG_DATABASE'),
		},
		redis: { host: read('KARLA_REDIS_HOST'), port: Number(read('KARLA_REDIS_PORT')) },
		startedHere: read('KARLA_QUEUE_SERVICES_STARTED') !== 'none',
	};
}

export async function stopQueueServices(onProgress?: (line: string) => void): Promise<void> {
	await runQueueServicesScript(['stop'], onProgress);
}

export async function createDatabase(
	name: string,
	onProgress?: (line: string) => void,
): Promise<void> {
	await runQueueServicesScript(['create-db', name], onProgress);
}

export async function dropDatabase(
	name: string,
	onProgress?: (line: string) => void,
): Promise<void> {
	await runQueueServicesScript(['drop-db', name], onProgress);
}
