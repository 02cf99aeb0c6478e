import { execFileSync, spawn } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { join, resolve } from 'path';

/** Root of this project; scripts/lib lies two levels below it. */
export const PROJECT_DIR = resolve(__dirname, '..', '..');

/**
 * The n8n release lines the project runs against. `scripts/install-n8n.sh` pins the exact
 * versions: line 2 is n8n 2.41.1 on Node 24, line 1 is n8n 1.123.81 on Node 22.
 */
export type N8nLine = 1 | 2;

const HEARTBEAT_MS = 30_000;

export interface N8nRuntime {
	line: N8nLine;
	/** Folder that contains `node_modules/n8n`. */
	dir: string;
	n8nVersion: string;
	/** Node.js binary that runs n8n; it may differ from the one running this script. */
	nodeBin: string;
	nodeVersion: string;
	/** n8n's CLI entry point, run with `nodeBin`. */
	n8nBin: string;
}

export interface InstallOptions {
	line?: N8nLine;
	/** Receives each progress line of the install script; defaults to standard error. */
	onProgress?: (line: string) => void;
}

/**
 * Runs `scripts/install-n8n.sh`, which installs the pinned n8n and its Node.js into the cache
 * folder (`KARLA_N8N_CACHE`, default `.n8n-runtime`) or reuses them, and describes the result.
 * The first install takes minutes; later calls return in about a second.
 */
export async function ensureN8nInstalled(options: InstallOptions = {}): Promise<N8nRuntime> {
	const line = options.line ?? 2;
	const onProgress = options.onProgress ?? ((text: string) => process.stderr.write(`${text}\n`));
	const script = join(PROJECT_DIR, 'scripts', 'install-n8n.sh');

	const stdout = await new Promise<string>((resolvePromise, reject) => {
		const child = spawn('bash', [script, String(line)], {
			cwd: PROJECT_DIR,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let out = '';
		let pending = '';
		const startedAt = Date.now();
		let lastOutputAt = startedAt;
		// npm prints nothing while it installs n8n for minutes, so a line every 30 s shows that the
		// install is still running.
		const heartbeat = setInterval(() => {
			if (Date.now() - lastOutputAt < HEARTBEAT_MS) return;
			onProgress(
				`[install-n8n] still working (${Math.round((Date.now() - startedAt) / 1000)} s so far)`,
			);
			lastOutputAt = Date.now();
		}, HEARTBEAT_MS);
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
			out += chunk;
		});
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
			lastOutputAt = Date.now();
			pending += chunk;
			const lines = pending.split('\n');
			pending = lines.pop() ?? '';
			for (const text of lines) if (text.trim() !== '') onProgress(text);
		});
		child.on('error', (error) => {
			clearInterval(heartbeat);
			reject(error);
		});
		child.on('close', (code) => {
			clearInterval(heartbeat);
			if (pending.trim() !== '') onProgress(pending);
			if (code === 0) resolvePromise(out);
			else reject(new Error(`scripts/install-n8n.sh ${line} failed with exit code ${code}`));
		});
	});

	const lines = stdout.trim().split('\n');
	return describeRuntime(lines[lines.length - 1].trim(), line);
}

/** Reads version and Node.js binary of an n8n folder created by `scripts/install-n8n.sh`. */
export function describeRuntime(dir: string, line: N8nLine): N8nRuntime {
	const packageJsonPath = join(dir, 'node_modules', 'n8n', 'package.json');
	const nodePathFile = join(dir, 'node-path');
	if (!existsSync(join(dir, '.complete')) || !existsSync(packageJsonPath)) {
		throw new Error(`n8n is not installed in ${dir}: run bash scripts/install-n8n.sh ${line}`);
	}
	const nodeBin = readFileSync(nodePathFile, 'utf8').trim();
	const { version } = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { version: string };
	return {
		line,
		dir,
		n8nVersion: version,
		nodeBin,
		nodeVersion: execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim(),
		n8nBin: join(dir, 'node_modules', 'n8n', 'bin', 'n8n'),
	};
}
