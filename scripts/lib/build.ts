import { execFileSync } from 'child_process';
import { existsSync, readdirSync, statSync } from 'fs';
import { join } from 'path';

import { PROJECT_DIR } from './n8n-install';

const SOURCE_PATHS = ['nodes', 'credentials', 'package.json', 'tsconfig.json', 'gulpfile.js'];

function newestModification(path: string): number {
	if (!existsSync(path)) return 0;
	const stats = statSync(path);
	if (!stats.isDirectory()) return stats.mtimeMs;
	let newest = 0;
	for (const entry of readdirSync(path)) {
		newest = Math.max(newest, newestModification(join(path, entry)));
	}
	return newest;
}

/**
 * Returns true when dist/ is missing or older than a source file. tsc rewrites every JavaScript
 * file of dist/ on each build, so the newest file there dates the last build.
 */
export function isBuildStale(): boolean {
	const builtAt = newestModification(join(PROJECT_DIR, 'dist'));
	const changedAt = Math.max(
		...SOURCE_PATHS.map((path) => newestModification(join(PROJECT_DIR, path))),
	);
	return builtAt === 0 || builtAt < changedAt;
}

/**
 * Runs `npm run build` when dist/ is stale, so that a test run alone checks the current code.
 * The build deletes dist/ first, so it only runs when needed: `npm test` builds before jest
 * starts and then nothing rebuilds under tests that read dist/.
 */
export function ensureBuilt(
	log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): void {
	if (!isBuildStale()) return;
	log('[build] dist/ is missing or older than the sources: npm run build');
	execFileSync('npm', ['run', 'build'], { cwd: PROJECT_DIR, stdio: ['ignore', 2, 2] });
}
