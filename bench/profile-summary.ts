import { readFileSync } from 'fs';

/**
 * Prints the functions with the most self time in a V8 `.cpuprofile` file (from `--cpu-prof`),
 * with their share of all samples. For every function named after TOP, it also prints the samples
 * spent in it and in what it called, split by callee.
 *   npx tsx bench/profile-summary.ts FILE [TOP] [FUNCTION ...]
 */

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
}

interface CpuProfile {
	nodes: ProfileNode[];
	samples: number[];
}

const [file, topText, ...functionNames] = process.argv.slice(2);
if (file === undefined) {
	throw new Error('Usage: tsx bench/profile-summary.ts FILE [TOP] [FUNCTION ...]');
}
const top = Number(topText ?? '25');

const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const nodesById = new Map(profile.nodes.map((node) => [node.id, node]));
const hitsById = new Map<number, number>();
for (const id of profile.samples) hitsById.set(id, (hitsById.get(id) ?? 0) + 1);

function describe(node: ProfileNode): string {
	const { functionName, url, lineNumber } = node.callFrame;
	const shortUrl = url.replace(/^.*node_modules\//, '').replace(/^.*?\/(nodes|bench)\//, '$1/');
	return `${functionName || '(anonymous)'}${url === '' ? '' : ` ${shortUrl}:${lineNumber + 1}`}`;
}

const inclusiveById = new Map<number, number>();
function inclusiveHits(node: ProfileNode): number {
	const known = inclusiveById.get(node.id);
	if (known !== undefined) return known;
	let hits = hitsById.get(node.id) ?? 0;
	for (const childId of node.children ?? []) {
		const child = nodesById.get(childId);
		if (child !== undefined) hits += inclusiveHits(child);
	}
	inclusiveById.set(node.id, hits);
	return hits;
}

const total = profile.samples.length;
const percent = (hits: number) => `${((hits / total) * 100).toFixed(1).padStart(5)} %`;

const selfHits = new Map<string, number>();
for (const node of profile.nodes) {
	const key = describe(node);
	selfHits.set(key, (selfHits.get(key) ?? 0) + (hitsById.get(node.id) ?? 0));
}
for (const [key, hits] of [...selfHits.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
	console.log(`${percent(hits)}  ${key}`);
}

for (const name of functionNames) {
	const byCallee = new Map<string, number>();
	let inclusive = 0;
	for (const node of profile.nodes) {
		if (node.callFrame.functionName !== name) continue;
		inclusive += inclusiveHits(node);
		byCallee.set('(self)', (byCallee.get('(self)') ?? 0) + (hitsById.get(node.id) ?? 0));
		for (const childId of node.children ?? []) {
			const child = nodesById.get(childId);
			if (child === undefined) continue;
			const key = child.callFrame.functionName || '(anonymous)';
			byCallee.set(key, (byCallee.get(key) ?? 0) + inclusiveHits(child));
		}
	}
	console.log(`\n${name}: ${inclusive} samples (${percent(inclusive).trim()})`);
	for (const [key, hits] of [...byCallee.entries()].sort((a, b) => b[1] - a[1])) {
		if (hits > 0) console.log(`  ${String(hits).padStart(7)}  ${key}`);
	}
}
