import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';

import { ensureBuilt } from '../../scripts/lib/build';
import { PROJECT_DIR } from '../../scripts/lib/n8n-install';
import {
	builtCredentialFiles,
	builtNodeFiles,
	listProjectFiles,
	referencedIcons,
} from '../helpers/package-contents';

interface PackageJson {
	n8n: { nodes: string[]; credentials: string[] };
}

let packed: string[];
let builtNodes: string[];
let builtCredentials: string[];
const packageJson = JSON.parse(
	readFileSync(join(PROJECT_DIR, 'package.json'), 'utf8'),
) as PackageJson;

beforeAll(() => {
	// Builds only when dist/ is older than the sources; `npm test` has built it already.
	ensureBuilt();
	const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], {
		cwd: PROJECT_DIR,
		encoding: 'utf8',
	});
	const [result] = JSON.parse(output) as Array<{ files: Array<{ path: string }> }>;
	packed = result.files.map((file) => file.path);
	builtNodes = builtNodeFiles();
	builtCredentials = builtCredentialFiles();
}, 120_000);

describe('npm pack', () => {
	it('lists a built file for every node source', () => {
		const sources = listProjectFiles('nodes').filter((file) => file.endsWith('.node.ts'));

		expect(sources.length).toBeGreaterThan(0);
		for (const source of sources) {
			expect(packed).toContain(`dist/${source.replace(/\.ts$/, '.js')}`);
		}
	});

	it('lists a built file for every credential source', () => {
		const sources = listProjectFiles('credentials').filter((file) =>
			file.endsWith('.credentials.ts'),
		);

		expect(sources.length).toBeGreaterThan(0);
		for (const source of sources) {
			expect(packed).toContain(`dist/${source.replace(/\.ts$/, '.js')}`);
		}
	});

	it('lists every codex file and icon file', () => {
		const assets = [...listProjectFiles('nodes'), ...listProjectFiles('credentials')].filter(
			(file) => /\.(node\.json|svg|png)$/.test(file),
		);

		expect(assets.some((file) => file.endsWith('.node.json'))).toBe(true);
		for (const asset of assets) {
			expect(packed).toContain(`dist/${asset}`);
		}
	});

	it('lists a codex file beside every node', () => {
		for (const node of builtNodes) {
			expect(packed).toContain(node.replace(/\.js$/, '.json'));
		}
	});

	it('lists every icon the descriptions reference', () => {
		const referenced = [...builtNodes, ...builtCredentials].flatMap(referencedIcons);

		expect(referenced.length).toBeGreaterThan(0);
		for (const icon of referenced) {
			expect(packed).toContain(icon);
		}
	});

	it('has only dist, readme, licence and manifest', () => {
		const unexpected = packed.filter(
			(file) => !/^(dist\/|package\.json$|README\.md$|LICEN[CS]E(\.md)?$)/.test(file),
		);

		expect(unexpected).toEqual([]);
	});

	it('has no test file', () => {
		const tests = packed.filter((file) =>
			/(^|\/)(test|tests|__tests__|__mocks__|fixtures)\/|\.(test|spec)\.[cm]?[jt]s$/.test(file),
		);

		expect(tests).toEqual([]);
	});

	it('has no TypeScript source', () => {
		const sources = packed.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));

		expect(sources).toEqual([]);
	});
});

describe('package.json n8n section', () => {
	it('names every built node', () => {
		expect([...packageJson.n8n.nodes].sort()).toEqual([...builtNodes].sort());
	});

	it('names every built credential', () => {
		expect([...packageJson.n8n.credentials].sort()).toEqual([...builtCredentials].sort());
	});

	it('names only packed files', () => {
		for (const file of [...packageJson.n8n.nodes, ...packageJson.n8n.credentials]) {
			expect(packed).toContain(file);
		}
	});
});
