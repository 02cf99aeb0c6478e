import { normalizeClaim } from '../nodes/shared/normalize';
import { buildBenchBody, BODY_SIZES_BYTES, type BodyLabel } from './lib/bodies';

/**
 * Runs normalizeClaim in a loop on one body size, for a CPU profile:
 *   node --cpu-prof --cpu-prof-dir=.tmp/profiles --import tsx bench/profile-normalize.ts "1 KB" 5
 * then `npx tsx bench/profile-summary.ts .tmp/profiles/<file>.cpuprofile`.
 */

const label = (process.argv[2] ?? '1 KB') as BodyLabel;
if (!(label in BODY_SIZES_BYTES)) {
	const sizes = Object.keys(BODY_SIZES_BYTES).join(', ');
	throw new Error(`Unknown body size "${label}": use one of ${sizes}`);
}
const seconds = Number(process.argv[3] ?? '5');
const event: unknown = JSON.parse(buildBenchBody(label).text);

const deadline = Date.now() + seconds * 1000;
let claims = 0;
let normalized = 0;
while (Date.now() < deadline) {
	for (let index = 0; index < 10; index++) {
		if (normalizeClaim(event).ok) normalized++;
	}
	claims += 10;
}
console.log(`${claims} claims of the ${label} body normalized, ${normalized} without problems`);
