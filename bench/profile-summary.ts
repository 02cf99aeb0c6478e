import { readFileSync } from 'fs';

/**
 * Prints the functions with the most self time in a V8 `.cpuprofile` file (from `--cpu-prof`),
 * with their share of all samples.
 *   npx tsx bench/profile-summary.ts FILE [TOP]
 */

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	hitCount?: number;
}

interface CpuProfile {
	nodes: ProfileNode[];
	samples: number[];
}

const file = process.argv[2];
if (file === undefined) throw new Error('Usage: tsx bench/profile-summary.ts FILE [TOP]');
const top = Number(process.argv[3] ?? '25');

const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const hitsById = new Map<number, number>();
for (const id of profile.samples) hitsById.set(id, (hitsById.get(id) ?? 0) + 1);

const hitsByFunction = new Map<string, number>();
for (const node of profile.nodes) {
	const { functionName, url, lineNumber } = node.callFrame;
	const where =
		url === ''
			? ''
			: ` ${url.replace(/^.*node_modules\//, '').replace(/^.*\/main\//, '')}:${lineNumber + 1}`;
	const key = `${functionName || '(anonymous)'}${where}`;
	hitsByFunction.set(key, (hitsByFunction.get(key) ?? 0) + (hitsById.get(node.id) ?? 0));
}

const total = profile.samples.length;
const rows = [...hitsByFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
for (const [key, hits] of rows) {
	console.log(`${((hits / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
}
