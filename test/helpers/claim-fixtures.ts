import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';

const CLAIM_FIXTURE_DIR = join(__dirname, '..', 'fixtures', 'claims');

/** Reads and parses `test/fixtures/claims/<name>.json`. */
export function loadClaimFixture(name: string): unknown {
	return JSON.parse(readFileSync(join(CLAIM_FIXTURE_DIR, `${name}.json`), 'utf8'));
}

/** Reads the raw bytes of a claim fixture, as a webhook body would carry them. */
export function readClaimFixtureBytes(name: string): Buffer {
	return readFileSync(join(CLAIM_FIXTURE_DIR, `${name}.json`));
}

/** Lists the names of all claim fixtures, without the `.json` extension. */
export function listClaimFixtures(): string[] {
	return readdirSync(CLAIM_FIXTURE_DIR)
		.filter((file) => file.endsWith('.json'))
		.map((file) => file.slice(0, -'.json'.length))
		.sort();
}
