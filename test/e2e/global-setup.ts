import { ensureBuilt } from '../../scripts/lib/build';
import { ensureN8nInstalled } from '../../scripts/lib/n8n-install';

/** Installs or reuses n8n and builds dist/ when stale, once before every end-to-end test file. */
export default async function globalSetup(): Promise<void> {
	const startedAt = Date.now();
	process.stderr.write('\n[e2e] installing or reusing n8n (the first install takes minutes)\n');
	const runtime = await ensureN8nInstalled({
		onProgress: (line) => process.stderr.write(`${line}\n`),
	});
	ensureBuilt();
	process.stderr.write(
		`[e2e] n8n ${runtime.n8nVersion} on Node ${runtime.nodeVersion} ready for tests ` +
			`(${((Date.now() - startedAt) / 1000).toFixed(1)} s)\n`,
	);
}
