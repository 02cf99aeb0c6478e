import { randomBytes } from 'crypto';
import { parseArgs } from 'util';

import { startKarlaSimulator } from './server';

const USAGE = `Usage: npx tsx tools/karla-simulator/cli.ts [options]

Runs a local stand-in for Karla's webhook API on 127.0.0.1 and prints the values for n8n's
Karla API credential.

  --port N                 port to listen on (default: a free port)
  --shop SLUG              shop slug (default: example-shop)
  --username NAME          user name of the API key (default: the shop slug)
  --api-key KEY            API key to accept (default: a new random key)
  --max-attempts N         delivery attempts per event and webhook (default: 3)
  --retry-backoff-ms MS    wait before the first retry, doubled for each later one (default: 200)
  --deliver-to-any-host    also deliver to webhook URLs outside this machine's loopback addresses
  --help                   show this message`;

function readInteger(value: string | undefined, name: string, fallback: number): number {
	if (value === undefined) return fallback;
	if (!/^\d+$/.test(value))
		throw new Error(`--${name} must be a non-negative integer, not ${value}.`);
	return Number(value);
}

async function main(): Promise<number> {
	let values: Record<string, string | boolean | undefined>;
	try {
		({ values } = parseArgs({
			options: {
				port: { type: 'string' },
				shop: { type: 'string' },
				username: { type: 'string' },
				'api-key': { type: 'string' },
				'max-attempts': { type: 'string' },
				'retry-backoff-ms': { type: 'string' },
				'deliver-to-any-host': { type: 'boolean' },
				help: { type: 'boolean' },
			},
			strict: true,
			allowPositionals: false,
		}));
	} catch (error: unknown) {
		console.error(`Error: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
		return 2;
	}
	if (values.help === true) {
		console.log(USAGE);
		return 0;
	}

	let port: number;
	let maxAttempts: number;
	let retryBackoffMs: number;
	try {
		port = readInteger(values.port as string | undefined, 'port', 0);
		maxAttempts = readInteger(values['max-attempts'] as string | undefined, 'max-attempts', 3);
		retryBackoffMs = readInteger(
			values['retry-backoff-ms'] as string | undefined,
			'retry-backoff-ms',
			200,
		);
	} catch (error: unknown) {
		console.error(`Error: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
		return 2;
	}

	const slug = (values.shop as string | undefined) ?? 'example-shop';
	const username = (values.username as string | undefined) ?? slug;
	const apiKey = (values['api-key'] as string | undefined) ?? randomBytes(24).toString('base64url');
	const simulator = await startKarlaSimulator({
		shops: [{ slug, username, apiKey }],
		port,
		maxAttempts,
		retryBackoffMs,
		deliveryHosts: values['deliver-to-any-host'] === true ? 'any' : undefined,
		log: (line) => console.log(`${new Date().toISOString()} ${line}`),
	});

	const base = simulator.baseUrl;
	console.log(`
Karla API credential for n8n:
  Shop Slug  ${slug}
  Username   ${username === slug ? '(leave empty)' : username}
  API Key    ${apiKey}
  Base URL   ${base}

Deliver a realistic claim to the shop's webhooks:
  curl -X POST '${base}/_simulator/deliver?ref=claims/created'
Deliver a file's bytes exactly as they are:
  curl -X POST --data-binary @claim.json '${base}/_simulator/deliver'
Inspect: curl ${base}/_simulator/webhooks   and   curl ${base}/_simulator/deliveries

Press Ctrl+C to stop.`);

	await new Promise<void>((resolve) => {
		process.once('SIGINT', () => resolve());
		process.once('SIGTERM', () => resolve());
	});
	await simulator.stop();
	return 0;
}

main().then(
	(exitCode) => {
		process.exitCode = exitCode;
	},
	(error: unknown) => {
		console.error(error);
		process.exitCode = 1;
	},
);
